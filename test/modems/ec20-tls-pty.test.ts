/**
 * Issue 14 item 1 acceptance over a real tty: the driver on a socat pty (the serialport stream
 * API), the EC20 emulator on the other end over TCP, its MQTT client on a real TLS connection
 * to the IoTDA emulator's MQTTS port. The CA upload (AT+QFUPL, CONNECT, raw bytes) crosses the
 * tty like every other byte. The right CA connects; a wrong one fails with "not trusted" and no
 * unverified attempt; unverified works only when asked for.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModemEmulator, type ModemEmulator } from '../../dist/sim/modems';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { SerialTransport } from '../../dist/transport/serial-transport';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { startSocat } from '../transport/socat';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';
import { useTlsIotda } from './tls-iotda-rig';

const DEVICE = 'tls_pty_dev01';
const SECRET = 'tls-pty-secret';

describe('EC20 verified TLS over a pty', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotda-tls-pty-'));
  const server = useTlsIotda(DEVICE, SECRET);
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A driver on a pty whose other end is the emulator; undefined when socat is missing. */
  async function onPty(name: string): Promise<{ driver: GenericModemDriver; emulator: ModemEmulator; close(): Promise<void> } | undefined> {
    const emulator = createModemEmulator({ model: 'ec20', strict: true, bootDelayMs: 0 });
    const tcpPort = await emulator.listenTcp(0);
    const portPath = path.join(dir, name);
    let socat: ChildProcess;
    try {
      socat = await startSocat(`pty,raw,echo=0,link=${portPath}`, `tcp:127.0.0.1:${tcpPort}`);
    } catch (err) {
      await emulator.close();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const driver = createModemDriver(new SerialTransport({ path: portPath, baudRate: 115200, presenceCheckMs: 0 }), 'ec20', { defaultTimeoutMs: 3000 });
    await driver.init();
    await driver.attachNetwork({ apn: 'cmnet' });
    return {
      driver,
      emulator,
      close: async () => {
        await driver.close().catch(() => undefined);
        if (socat.exitCode === null) {
          socat.kill();
          await once(socat, 'exit');
        }
        await emulator.close();
      },
    };
  }

  const sent = (e: ModemEmulator, prefix: string) => e.transcript.filter((t) => t.dir === 'in' && t.bytes.toString().startsWith(prefix)).map((t) => t.bytes.toString().trim());

  async function run(name: string, t: { skip(reason: string): void }, check: (r: { driver: GenericModemDriver; emulator: ModemEmulator }) => Promise<void>): Promise<void> {
    const r = await onPty(name);
    if (!r) return t.skip('socat is not installed');
    try {
      server.logins = 0;
      await check(r);
    } finally {
      await r.close();
    }
  }

  it('the right CA: uploaded over the tty, seclevel 1, the device comes online', { timeout: EVENT_DEADLINE_MS * 2 }, async (t) => {
    await run('ttyRight', t, async ({ driver, emulator }) => {
      await driver.open('127.0.0.1', server.iotda.tlsPort!, { ca: server.iotda.caCertPem!, caLabel: 'the test CA' });
      const c = iotdaCredentials(DEVICE, SECRET);
      const online = onceWithin(server.iotda, 'online');
      await driver.connect(c.clientId, c.username, c.password, 120, true);
      await online;
      assert.equal(server.iotda.getDevice(DEVICE)?.online, true);
      assert.equal(sent(emulator, 'AT+QFUPL=').length, 1);
      assert.deepEqual(sent(emulator, 'AT+QSSLCFG="seclevel"'), ['AT+QSSLCFG="seclevel",0,1']);
      await driver.disconnect();
    });
  });

  it('a wrong CA: "server certificate not trusted", no seclevel 0, no login', { timeout: EVENT_DEADLINE_MS * 2 }, async (t) => {
    await run('ttyWrong', t, async ({ driver, emulator }) => {
      await assert.rejects(driver.open('127.0.0.1', server.iotda.tlsPort!, { ca: server.otherCa, caLabel: 'the other CA' }), /\+QMTOPEN: 0,-1 \(server certificate not trusted by the other CA/);
      assert.deepEqual(sent(emulator, 'AT+QSSLCFG="seclevel"'), ['AT+QSSLCFG="seclevel",0,1']);
      assert.equal(server.logins, 0);
    });
  });

  it('unverified only when asked for: seclevel 0, no upload, online', { timeout: EVENT_DEADLINE_MS * 2 }, async (t) => {
    await run('ttyNone', t, async ({ driver, emulator }) => {
      await driver.open('127.0.0.1', server.iotda.tlsPort!, { verify: false });
      const c = iotdaCredentials(DEVICE, SECRET);
      const online = onceWithin(server.iotda, 'online');
      await driver.connect(c.clientId, c.username, c.password, 120, true);
      await online;
      assert.deepEqual(sent(emulator, 'AT+QSSLCFG="seclevel"'), ['AT+QSSLCFG="seclevel",0,0']);
      assert.deepEqual(sent(emulator, 'AT+QFUPL'), []);
      await driver.disconnect();
    });
  });
});
