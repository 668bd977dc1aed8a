/**
 * Issue 10 item 1 acceptance: an EC20 on a `/dev/ttyUSB2` path with the interface on auto never
 * sends AT+QURCCFG="urcport","uart1" (docs/models/ec20.md, "URC port"). A real tty (a socat pty
 * linked as .../ttyUSB2) carries the bytes to the EC20 emulator, which sits on its USB AT port
 * with the factory URC port "usbat" and routes URCs by that setting; the port's USB ids come
 * from a sysfs tree as Linux lays it out. Before, the driver always set "uart1", after which the
 * emulated module (as the real one) sent +QMTOPEN to the UART and the open timed out.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModemEmulator } from '../../dist/sim/modems';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { decideHostInterface } from '../../dist/modems/host-interface';
import { identifyUsbPort } from '../../dist/transport/serial-port-list';
import { SerialTransport } from '../../dist/transport/serial-transport';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { DEVICE, SECRET, startBroker } from './emulator-harness';
import { fakeSysfs } from './fake-sysfs';
import { startSocat } from '../transport/socat';

function socatPty(link: string, tcpPort: number): Promise<ChildProcess> {
  return startSocat(`pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${tcpPort}`);
}

describe('EC20 on /dev/ttyUSB2 with the interface on auto', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotda-usb2-'));
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('never sends "uart1": the URC port stays usbat and +QMTOPEN/+QMTCONN reach the host', { timeout: 30_000 }, async (t) => {
    const { broker, server, port } = await startBroker();
    cleanup.push(async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    });
    const emulator = createModemEmulator({ model: 'ec20', hostInterface: 'usb', strict: true, bootDelayMs: 0, resolveBroker: () => ({ host: '127.0.0.1', port }) });
    cleanup.push(() => emulator.close());
    const tcpPort = await emulator.listenTcp(0);
    const portPath = path.join(dir, 'ttyUSB2');
    let socat: ChildProcess;
    try {
      socat = await socatPty(portPath, tcpPort);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return t.skip('socat is not installed');
      throw err;
    }
    cleanup.push(async () => {
      if (socat.exitCode === null) {
        socat.kill();
        await once(socat, 'exit');
      }
    });
    const sys = path.join(dir, 'sys');
    fakeSysfs(sys, 'ttyUSB2', '2c7c', '0125');

    const ids = await identifyUsbPort(portPath, { list: async () => [], sysDir: sys, devDir: path.join(dir, 'dev') });
    const decision = decideHostInterface('auto', portPath, ids);
    assert.equal(decision.hostInterface, 'usb', decision.reason);

    const transport = new SerialTransport({ path: portPath, baudRate: 115200, presenceCheckMs: 0 });
    const logged: string[] = [];
    const driver: GenericModemDriver = createModemDriver(transport, 'ec20', {
      hostInterface: decision.hostInterface!,
      hostInterfaceReason: decision.reason,
      log: (text) => logged.push(text),
      defaultTimeoutMs: 3000,
    });
    cleanup.push(() => driver.close());
    await driver.init();
    await driver.attachNetwork({ apn: 'cmnet' });
    await driver.open('iot.example.com', 1883, false);
    const c = iotdaCredentials(DEVICE, SECRET);
    await driver.connect(c.clientId, c.username, c.password, 120, true);

    const sent = emulator.transcript.filter((e) => e.dir === 'in').map((e) => e.bytes.toString('latin1')).join('');
    assert.ok(!sent.includes('AT+QURCCFG="urcport","uart1"'), sent);
    assert.ok(sent.includes('AT+QURCCFG="urcport"\r'), 'the setting was read first');
    assert.deepEqual(logged, [], 'nothing changed in the module');
    assert.deepEqual(emulator.violations, []);
  });
});
