/**
 * MQTT over TLS on the EC20: the real driver over the emulated EC20, whose MQTT client makes a
 * real TLS connection to the IoTDA emulator's MQTTS port (a CA generated with openssl).
 * The emulated modem follows the Quectel SSL manual: AT+QSSLCFG "seclevel" 0 (what the driver
 * sends, like Huawei's SDKs) authenticates nothing; 1 verifies the server's chain against the
 * CA the modem holds.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { generateTestCertificates } from '../../dist/sim/iotda/test-certificates';
import { createModemEmulator, type ModemEmulator, type ModemEmulatorOptions } from '../../dist/sim/modems';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { ModemError } from '../../dist/modems/errors';
import { loadProfile } from '../../dist/modems/load-profile';
import type { ModemProfile } from '../../dist/modems/profile';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { StreamTransport } from './stream-transport';
import { ScriptedHost } from '../sim-modems/scripted-host';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';

const DEVICE = 'tls_prod_dev01';
const SECRET = 'tls-device-secret';
const SYS = `$oc/devices/${DEVICE}/sys`;

interface Rig {
  emulator: ModemEmulator;
  driver: GenericModemDriver;
}

describe('EC20 MQTT over TLS (emulated modem, IoTDA emulator on MQTTS)', () => {
  let iotda: IotdaEmulator;
  let otherCa: string;
  let rigs: Rig[] = [];

  before(async () => {
    iotda = await startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0, tlsPort: 0, devices: [{ deviceId: DEVICE, secret: SECRET }], log: () => undefined });
    // A CA that did not sign the emulator's server certificate.
    otherCa = (await generateTestCertificates('127.0.0.1')).caCertPem;
  });
  after(async () => {
    await iotda.close();
  });
  afterEach(async () => {
    for (const r of rigs) {
      await r.driver.close().catch(() => undefined);
      await r.emulator.close();
    }
    rigs = [];
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

  it('the driver connects over TLS, reports a property and receives a downlink', { timeout: EVENT_DEADLINE_MS * 2 }, async () => {
    const r = await readyModem();
    await r.driver.open('127.0.0.1', iotda.tlsPort!, true);
    const c = login();
    const online = onceWithin(iotda, 'online');
    await r.driver.connect(c.clientId, c.username, c.password, 120, true);
    await online;
    assert.equal(iotda.getDevice(DEVICE)?.online, true);

    // The SSL context the driver configured, as the manual spells it.
    assert.deepEqual(sent(r, 'AT+QMTCFG="ssl"'), ['AT+QMTCFG="ssl",0,1,0']);
    assert.ok(sent(r, 'AT+QSSLCFG="seclevel"').includes('AT+QSSLCFG="seclevel",0,0'));

    await r.driver.subscribe(`${SYS}/messages/down`, 1);
    await r.driver.publish(`${SYS}/properties/report`, Buffer.from('{"services":[{"service_id":"env","properties":{"t":7}}]}'), 1);
    assert.deepEqual(iotda.getDevice(DEVICE)?.properties.env?.properties, { t: 7 });

    const down = onceWithin(r.driver.session(0), 'message');
    iotda.sendMessage(DEVICE, { led: 'on' });
    const [topic, payload] = await down;
    assert.equal(topic, `${SYS}/messages/down`);
    assert.deepEqual(JSON.parse(payload.toString()).content, { led: 'on' });
    assert.deepEqual(r.emulator.violations, []);
  });

  it('TLS to the plain MQTT port fails the open with a reason that names TLS and the port', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await readyModem();
    await assert.rejects(r.driver.open('127.0.0.1', iotda.mqttPort, true), (err: unknown) => {
      assert.ok(err instanceof ModemError, String(err));
      assert.equal(err.code, '+QMTOPEN: 0,-1');
      assert.match(err.message, new RegExp(`failed to open the network; with TLS on, check that port ${iotda.mqttPort} speaks TLS`));
      return true;
    });
    assert.equal(iotda.getDevice(DEVICE)?.online, false);
  });

  it('without TLS the driver turns the SSL flag off again on the same client index', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await readyModem();
    await r.driver.open('127.0.0.1', iotda.tlsPort!, true);
    await r.driver.open('127.0.0.1', iotda.mqttPort, false);
    const c = login();
    await r.driver.connect(c.clientId, c.username, c.password, 120, true);
    assert.deepEqual(sent(r, 'AT+QMTCFG="ssl"'), ['AT+QMTCFG="ssl",0,1,0', 'AT+QMTCFG="ssl",0,0,0']);
  });

  // The emulator follows the manual, not the driver: seclevel 1 verifies the chain.
  const verifying = loadProfile({ extends: 'ec20', name: 'ec20-verify-server', commands: { sslSecLevel: 'AT+QSSLCFG="seclevel",{{ctx}},1' } });

  it('seclevel 1 with the CA that signed the server certificate connects', { timeout: EVENT_DEADLINE_MS }, async () => {
    const r = await readyModem({ tlsCa: iotda.caCertPem }, verifying);
    await r.driver.open('127.0.0.1', iotda.tlsPort!, true);
    const c = login();
    await r.driver.connect(c.clientId, c.username, c.password, 120, true);
    assert.ok(sent(r, 'AT+QSSLCFG="seclevel"').includes('AT+QSSLCFG="seclevel",0,1'));
  });

  for (const [name, tlsCa] of [
    ['an untrusted CA', () => otherCa],
    ['no CA file on the modem', () => undefined],
  ] as const) {
    it(`seclevel 1 with ${name} fails the handshake: +QMTOPEN: 0,-1`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const r = await readyModem({ tlsCa: tlsCa() }, verifying);
      await assert.rejects(r.driver.open('127.0.0.1', iotda.tlsPort!, true), (err: unknown) => {
        assert.ok(err instanceof ModemError, String(err));
        assert.equal(err.code, '+QMTOPEN: 0,-1');
        assert.match(err.message, /with TLS on/);
        return true;
      });
    });
  }

  it('AT+QSSLCFG reads back the manual defaults and takes the hex cipher suite as written (0XFFFF)', { timeout: EVENT_DEADLINE_MS }, async () => {
    const emulator = createModemEmulator({ model: 'ec20', baudRate: 0, strict: true, bootDelayMs: 0 });
    const stream = emulator.createHostStream();
    try {
      const host = new ScriptedHost(stream);
      await host.skipPast('PB DONE\r\n');
      await host.cmd('ATE0', 'ATE0\r\r\nOK\r\n');
      await host.cmd('AT+QSSLCFG="sslversion",2', '\r\n+QSSLCFG: "sslversion",2,4\r\n\r\nOK\r\n');
      await host.cmd('AT+QSSLCFG="ciphersuite",2', '\r\n+QSSLCFG: "ciphersuite",2,0XFFFF\r\n\r\nOK\r\n');
      await host.cmd('AT+QSSLCFG="seclevel",2', '\r\n+QSSLCFG: "seclevel",2,0\r\n\r\nOK\r\n');
      await host.cmd('AT+QSSLCFG="ciphersuite",2,0X0035', '\r\nOK\r\n');
      await host.cmd('AT+QSSLCFG="ciphersuite",2', '\r\n+QSSLCFG: "ciphersuite",2,0X0035\r\n\r\nOK\r\n');
      assert.deepEqual(emulator.violations, []);
    } finally {
      stream.destroy();
      await emulator.close();
    }
  });

  it('AT+QSSLCFG="seclevel" outside 0-2 is refused with ERROR, as the manual allows 0-2 only', { timeout: EVENT_DEADLINE_MS }, async () => {
    const profile = loadProfile({ extends: 'ec20', name: 'ec20-bad-seclevel', commands: { sslSecLevel: 'AT+QSSLCFG="seclevel",{{ctx}},3' } });
    const r = await readyModem({ strict: false }, profile);
    // The driver treats the refusal as optional (a note), the handshake then runs at the default 0.
    await r.driver.open('127.0.0.1', iotda.tlsPort!, true);
    const answer = r.emulator.transcript.findIndex((t) => t.dir === 'in' && t.bytes.toString().startsWith('AT+QSSLCFG="seclevel",0,3'));
    assert.ok(answer >= 0);
    assert.ok(r.emulator.transcript.slice(answer + 1).some((t) => t.dir === 'out' && /ERROR/.test(t.bytes.toString())));
  });
});
