/**
 * MQTT over TLS on the EC20 (issue 14 item 1): the real driver over the emulated EC20, whose MQTT
 * client makes a real TLS connection to the IoTDA emulator's MQTTS port (a CA made with openssl).
 * The emulated module follows the Quectel FILE and SSL manuals (docs/models/ec20.md, "Verified
 * TLS"): the CA is a file on its UFS, uploaded with AT+QFUPL; "cacert" points an SSL context at
 * it; "seclevel" 1 verifies the server's chain against it, 0 checks nothing. Before issue 14 the
 * driver always sent seclevel 0, and a profile that raised it ran the step as optional.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createModemEmulator, type ModemEmulator, type ModemEmulatorOptions } from '../../dist/sim/modems';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { ModemError } from '../../dist/modems/errors';
import { loadProfile } from '../../dist/modems/load-profile';
import type { ModemProfile } from '../../dist/modems/profile';
import { caFileName } from '../../dist/modems/quectel-cacert';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { StreamTransport } from './stream-transport';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';
import { useTlsIotda } from './tls-iotda-rig';

const DEVICE = 'tls_prod_dev01';
const SECRET = 'tls-device-secret';
const SYS = `$oc/devices/${DEVICE}/sys`;

interface Rig {
  emulator: ModemEmulator;
  driver: GenericModemDriver;
}

describe('EC20 MQTT over TLS (emulated modem, IoTDA emulator on MQTTS)', () => {
  const server = useTlsIotda(DEVICE, SECRET);
  let rigs: Rig[] = [];
  afterEach(async () => {
    for (const r of rigs) {
      await r.driver.close().catch(() => undefined);
      await r.emulator.close();
    }
    rigs = [];
    server.logins = 0;
  });

  async function readyModem(opts: Partial<ModemEmulatorOptions> = {}, profile: ModemProfile | 'ec20' = 'ec20'): Promise<Rig> {
    const emulator = createModemEmulator({ model: 'ec20', baudRate: 0, strict: true, bootDelayMs: 0, ...opts });
    const driver = createModemDriver(new StreamTransport(emulator.createHostStream(), 'sim:ec20'), profile);
    rigs.push({ emulator, driver });
    await driver.init();
    await driver.attachNetwork({ apn: 'cmnet' });
    return { emulator, driver };
  }

  const login = () => iotdaCredentials(DEVICE, SECRET);
  const sent = (r: Rig, prefix: string) => r.emulator.transcript.filter((t) => t.dir === 'in' && t.bytes.toString().startsWith(prefix)).map((t) => t.bytes.toString().trim());
  const myCa = () => ({ ca: server.iotda.caCertPem!, caLabel: 'the test CA' });
  /** Never, in any form: the unverified level. */
  const assertNeverUnverified = (r: Rig) => assert.deepEqual(sent(r, 'AT+QSSLCFG="seclevel"').filter((l) => /,0$/.test(l)), []);

  it('verified with my CA: uploads it, points the context at it, seclevel 1, reports and receives', { timeout: EVENT_DEADLINE_MS * 2 }, async () => {
    const r = await readyModem();
    await r.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa());
    const c = login();
    const online = onceWithin(server.iotda, 'online');
    await r.driver.connect(c.clientId, c.username, c.password, 120, true);
    await online;
    assert.equal(server.iotda.getDevice(DEVICE)?.online, true);

    const file = `UFS:${caFileName(0, Buffer.from(server.iotda.caCertPem!))}`;
    assert.deepEqual(sent(r, 'AT+QFUPL='), [`AT+QFUPL="${file}",${Buffer.byteLength(server.iotda.caCertPem!)},10`]);
    assert.deepEqual(sent(r, 'AT+QSSLCFG="cacert"'), [`AT+QSSLCFG="cacert",0,"${file}"`]);
    assert.deepEqual(sent(r, 'AT+QSSLCFG="seclevel"'), ['AT+QSSLCFG="seclevel",0,1']);
    assert.deepEqual(sent(r, 'AT+QMTCFG="ssl"'), ['AT+QMTCFG="ssl",0,1,0']);

    await r.driver.subscribe(`${SYS}/messages/down`, 1);
    await r.driver.publish(`${SYS}/properties/report`, Buffer.from('{"services":[{"service_id":"env","properties":{"t":7}}]}'), 1);
    assert.deepEqual(server.iotda.getDevice(DEVICE)?.properties.env?.properties, { t: 7 });
    const down = onceWithin(r.driver.session(0), 'message');
    server.iotda.sendMessage(DEVICE, { led: 'on' });
    const [topic, payload] = await down;
    assert.equal(topic, `${SYS}/messages/down`);
    assert.deepEqual(JSON.parse(payload.toString()).content, { led: 'on' });
    assert.deepEqual(r.emulator.violations, []);
  });

  for (const [name, tls, label] of [
    ['a wrong CA', () => ({ ca: server.otherCa, caLabel: 'the other CA' }), /not trusted by the other CA/],
    // `true` is the default: IoTDA's public roots, which did not sign the emulator's certificate.
    ["IoTDA's roots (the default) against a server they did not sign", () => true as const, /not trusted by IoTDA's root CAs/],
  ] as const) {
    it(`verified with ${name}: the open fails with "not trusted", never unverified, no login`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const r = await readyModem();
      await assert.rejects(r.driver.open('127.0.0.1', server.iotda.tlsPort!, tls()), (err: unknown) => {
        assert.ok(err instanceof ModemError, String(err));
        assert.equal(err.code, '+QMTOPEN: 0,-1');
        assert.match(err.message, /\(server certificate not trusted by .*\(the TLS handshake failed; or port \d+ does not speak TLS/);
        assert.match(err.message, label);
        assert.equal(err.kind, 'permanent');
        return true;
      });
      assertNeverUnverified(r);
      assert.deepEqual(sent(r, 'AT+QSSLCFG="seclevel"'), ['AT+QSSLCFG="seclevel",0,1']);
      assert.equal(server.logins, 0);
      assert.equal(server.iotda.getDevice(DEVICE)?.online, false);
    });
  }

  it('unverified only when asked for: seclevel 0, no CA upload, and it connects', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await readyModem();
    await r.driver.open('127.0.0.1', server.iotda.tlsPort!, { verify: false });
    const c = login();
    await r.driver.connect(c.clientId, c.username, c.password, 120, true);
    assert.deepEqual(sent(r, 'AT+QSSLCFG="seclevel"'), ['AT+QSSLCFG="seclevel",0,0']);
    assert.deepEqual(sent(r, 'AT+QFUPL'), []);
    assert.deepEqual(sent(r, 'AT+QSSLCFG="cacert"'), []);
  });

  it('the upload is skipped while the module holds the CA (also after a restart and on a new emulator with the same flash), and redone when the CA differs', { timeout: EVENT_DEADLINE_MS * 3 }, async () => {
    const flash = new Map<string, Buffer>();
    const first = await readyModem({ ufs: flash });
    await first.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa());
    await first.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa());
    assert.equal(sent(first, 'AT+QFUPL=').length, 1, 'a second open uploads nothing');
    assert.equal(sent(first, 'AT+QFLST').length, 2, 'each open looks at the file list');

    // The file is in flash: a module restart does not lose it.
    const rebooted = onceWithin(first.driver, 'reboot');
    first.emulator.faults.reboot();
    await rebooted;
    await first.driver.init();
    await first.driver.attachNetwork({ apn: 'cmnet' });
    await first.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa());
    assert.equal(sent(first, 'AT+QFUPL=').length, 1);

    const second = await readyModem({ ufs: flash });
    await second.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa());
    assert.deepEqual(sent(second, 'AT+QFUPL='), []);

    // Another CA: uploaded under its own name, the old file of this context removed.
    const oldName = caFileName(0, Buffer.from(server.iotda.caCertPem!));
    await assert.rejects(second.driver.open('127.0.0.1', server.iotda.tlsPort!, { ca: server.otherCa }), /not trusted by the configured CA/);
    assert.equal(sent(second, 'AT+QFUPL=').length, 1);
    assert.deepEqual(sent(second, 'AT+QFDEL='), [`AT+QFDEL="UFS:${oldName}"`]);
    assert.deepEqual([...flash.keys()], [caFileName(0, Buffer.from(server.otherCa))]);
  });

  it('a "cacert" naming no file on the module fails the handshake (+QMTOPEN: 0,-1), as a missing CA file does', { timeout: EVENT_DEADLINE_MS }, async () => {
    const profile = loadProfile({ extends: 'ec20', name: 'ec20-cacert-elsewhere', commands: { sslCaCert: 'AT+QSSLCFG="cacert",{{ctx}},"UFS:none.pem"' } });
    const r = await readyModem({}, profile);
    await assert.rejects(r.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa()), /\+QMTOPEN: 0,-1 \(server certificate not trusted by the test CA/);
    assertNeverUnverified(r);
    assert.equal(server.logins, 0);
  });

  it('a stored file of the same name but another size is deleted and uploaded again', { timeout: EVENT_DEADLINE_MS }, async () => {
    const name = caFileName(0, Buffer.from(server.iotda.caCertPem!));
    const flash = new Map([[name, Buffer.from('-----BEGIN CERTIFICATE-----\ntruncated')]]);
    const r = await readyModem({ ufs: flash });
    await r.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa());
    assert.deepEqual(sent(r, 'AT+QFDEL='), [`AT+QFDEL="UFS:${name}"`]);
    assert.equal(sent(r, 'AT+QFUPL=').length, 1);
    assert.equal(flash.get(name)?.toString(), server.iotda.caCertPem);
  });

  // Each refusal in the chain ends the open with the step named; nothing falls back to seclevel 0.
  for (const [step, commands, message] of [
    ['the upload', { fileUpload: 'AT+QFUPL="{{name}}",{{size}},{{wait}},1' }, /\+CME ERROR: 425 \(uploading the test CA to the module failed/],
    ['"cacert"', { sslCaCert: 'AT+QSSLCFG="cacert",9{{ctx}},"{{name}}"' }, /pointing SSL context 0 at the test CA failed/],
    ['"seclevel" 1', { sslSecLevel: 'AT+QSSLCFG="seclevel",{{ctx}},{{level}}3' }, /turning on server verification \(seclevel 1\) on SSL context 0 failed/],
  ] as const) {
    it(`a module that refuses ${step} fails closed with the step named`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const profile = loadProfile({ extends: 'ec20', name: `ec20-refuses-${Object.keys(commands)[0].toLowerCase()}`, commands });
      const r = await readyModem({ strict: false }, profile);
      await assert.rejects(r.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa()), (err: unknown) => {
        assert.ok(err instanceof ModemError, String(err));
        assert.match(err.message, message);
        assert.match(err.message, /does not connect without it/);
        return true;
      });
      assertNeverUnverified(r);
      assert.deepEqual(sent(r, 'AT+QMTOPEN'), []);
      assert.equal(server.logins, 0);
    });
  }

  it('a custom profile with a fixed seclevel is refused before anything is sent to the SSL context', { timeout: EVENT_DEADLINE_MS }, async () => {
    const profile = loadProfile({ extends: 'ec20', name: 'ec20-fixed-level', commands: { sslSecLevel: 'AT+QSSLCFG="seclevel",{{ctx}},0' } });
    const r = await readyModem({}, profile);
    await assert.rejects(r.driver.open('127.0.0.1', server.iotda.tlsPort!, true), /fixes the SSL security level; verified TLS needs \{\{level\}\}/);
    assertNeverUnverified(r);
    assert.deepEqual(sent(r, 'AT+QMTOPEN'), []);
  });

  it('TLS to the plain MQTT port, unverified: the reason names TLS and the port', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await readyModem();
    await assert.rejects(r.driver.open('127.0.0.1', server.iotda.mqttPort, { verify: false }), (err: unknown) => {
      assert.ok(err instanceof ModemError, String(err));
      assert.equal(err.code, '+QMTOPEN: 0,-1');
      assert.match(err.message, new RegExp(`failed to open the network; with TLS on, check that port ${server.iotda.mqttPort} speaks TLS`));
      return true;
    });
  });

  it('without TLS the driver turns the SSL flag off again on the same client index', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await readyModem();
    await r.driver.open('127.0.0.1', server.iotda.tlsPort!, myCa());
    await r.driver.open('127.0.0.1', server.iotda.mqttPort, false);
    const c = login();
    await r.driver.connect(c.clientId, c.username, c.password, 120, true);
    assert.deepEqual(sent(r, 'AT+QMTCFG="ssl"'), ['AT+QMTCFG="ssl",0,1,0', 'AT+QMTCFG="ssl",0,0,0']);
  });
});
