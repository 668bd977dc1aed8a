/**
 * The real driver and AT channel against scripted ESP-AT answers: Wi-Fi join codes, the
 * LONG* fallback, MQTTPUBRAW, fragment reassembly and firmware detection.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import { ModemError } from '../../dist/modems/errors';
import { ScriptedModem } from './scripted-modem';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';

const D = '$oc/devices/myprod_dev01/sys';
const PASSWORD = 'c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a';
let drivers: GenericModemDriver[] = [];

function healthyEsp(modem: ScriptedModem, firmware = '2.2.0.0(s-b097cdf - ESP8266 - Jun 17 2021 12:57:45)'): ScriptedModem {
  return modem
    .rule(/^AT(E0|\+SYSLOG=1|\+CWMODE=1|\+MQTTCLEAN=0|\+MQTTUSERCFG=.*|\+MQTTCONNCFG=.*|\+MQTTUNSUB=.*)?$/, '\r\nOK\r\n')
    .rule(/^AT\+GMR$/, `AT version:${firmware}\r\nSDK version:v3.4-22-g967752e2\r\ncompile time(6800286):Jun 17 2021 12:57:45\r\nBin version:2.2.0(WROOM-02)\r\n\r\nOK\r\n`)
    .rule(/^AT\+CIPSTAMAC\?$/, '+CIPSTAMAC:"5c:cf:7f:00:00:01"\r\n\r\nOK\r\n')
    .rule(/^AT\+CWJAP=".*"$/, 'WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n')
    .rule(/^AT\+CWJAP\?$/, '+CWJAP:"lab","aa:bb:cc:dd:ee:ff",6,-58,0,0,0,0,0\r\n\r\nOK\r\n')
    .rule(/^AT\+MQTTCONN=0,"([^"]*)",(\d+),0$/, (m, md) => md.send(`+MQTTCONNECTED:0,1,"${m[1]}","${m[2]}","",0\r\n\r\nOK\r\n`))
    .rule(/^AT\+MQTTSUB=0,".*",\d$/, '\r\nOK\r\n')
    .rule(/^AT\+MQTTLONG(CLIENTID|USERNAME|PASSWORD)=0,(\d+)$/, (m, md) => {
      md.send('\r\nOK\r\n');
      md.expectPrompt({ length: Number(m[2]), onData: () => md.send('\r\nOK\r\n') }, '>');
    })
    .rule(/^AT\+MQTTPUBRAW=0,".*",(\d+),\d,0$/, (m, md) => {
      md.send('\r\nOK\r\n');
      md.expectPrompt({ length: Number(m[1]), onData: () => md.send('\r\n+MQTTPUB:OK\r\n') }, '>');
    });
}

function setup(firmware?: string) {
  const modem = healthyEsp(new ScriptedModem('\r\n'), firmware);
  const driver = createModemDriver(modem, 'esp8266', { secrets: ['wifi-secret'] });
  drivers.push(driver);
  // The owner (the link layer) opens the transport; init() would open it too.
  modem.isOpen = true;
  return { modem, driver };
}

async function connected(deviceId = 'myprod_dev01', firmware?: string) {
  const s = setup(firmware);
  await s.driver.init();
  await s.driver.attachNetwork({ wifiSsid: 'lab', wifiPassword: 'wifi-secret' });
  await s.driver.open('iot.example.com', 1883, false);
  await s.driver.connect(`${deviceId}_0_0_2025041401`, deviceId, PASSWORD, 120, true);
  return s;
}

afterEach(async () => {
  for (const d of drivers) await d.close();
  drivers = [];
});

describe('ESP8266 driver (scripted modem)', () => {
  it('init reads firmware and MAC; attach sets station mode and joins with escaped values', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { modem, driver } = setup();
    const id = await driver.init();
    assert.match(id.firmware, /^2\.2\.0\.0/);
    assert.equal(id.mac, '5c:cf:7f:00:00:01');
    await driver.attachNetwork({ wifiSsid: 'my "lab", 2.4G', wifiPassword: 'p\\w,d' });
    assert.ok(modem.lines.includes('AT+CWMODE=1'));
    assert.ok(modem.lines.includes('AT+CWJAP="my \\"lab\\"\\, 2.4G","p\\\\w\\,d"'), modem.lines.join('\n'));
    const sig = await driver.signal();
    assert.equal(sig.dbm, -58);
  });

  const joinFailures: [string, RegExp][] = [
    ['1', /timeout/],
    ['2', /wrong password/],
    ['3', /cannot find the target AP/],
    ['4', /connection failed/],
  ];
  for (const [code, meaning] of joinFailures) {
    it(`+CWJAP:${code} becomes a clear Wi-Fi error`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const { modem, driver } = setup();
      modem.rule(/^AT\+CWJAP=/, `+CWJAP:${code}\r\n\r\nERROR\r\n`);
      await assert.rejects(driver.attachNetwork({ wifiSsid: 'lab', wifiPassword: 'wifi-secret' }), (err: unknown) => {
        assert.ok(err instanceof ModemError);
        assert.equal(err.code, `+CWJAP:${code}`);
        assert.match(err.meaning, meaning);
        assert.ok(!err.message.includes('wifi-secret'), err.message);
        return true;
      });
    });
  }

  it('firmware 1.x is refused with a flashing hint', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { driver } = setup('1.7.4.0(May 11 2020 19:13:04)');
    await assert.rejects(driver.init(), /flash Espressif ESP-AT >= 2\.2/);
  });

  it('ERROR to MQTTUSERCFG on firmware without MQTT names the fix', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { modem, driver } = setup();
    modem.rule(/^AT\+MQTT/, '\r\nERROR\r\n');
    await driver.open('iot.example.com', 1883, false);
    await assert.rejects(driver.connect('d_0_0_2025041401', 'd', PASSWORD, 120, true), /no MQTT AT commands: flash Espressif ESP-AT >= 2\.2/);
  });

  it('connects with MQTTUSERCFG in one line, skips MQTTCONNCFG at keepalive 120, reconnect=0', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { modem } = await connected();
    assert.ok(modem.lines.includes(`AT+MQTTUSERCFG=0,1,"myprod_dev01_0_0_2025041401","myprod_dev01","${PASSWORD}",0,0,""`));
    assert.ok(!modem.lines.some((l) => l.startsWith('AT+MQTTCONNCFG')));
    assert.ok(modem.lines.includes('AT+MQTTCONN=0,"iot.example.com",1883,0'));
  });

  it('a device id over 64 bytes goes through MQTTLONGUSERNAME/LONGCLIENTID on ESP-AT 2.2.2.0', { timeout: EVENT_DEADLINE_MS }, async () => {
    const longId = `5f052ac562369102d42b0fb6_${'n'.repeat(50)}`;
    const { modem } = await connected(longId, '2.2.2.0(4274148 - ESP8266 - Mar 25 2025 08:11:31)');
    const cfg = modem.lines.find((l) => l.startsWith('AT+MQTTUSERCFG'));
    assert.ok(cfg && Buffer.byteLength(cfg) + 2 < 256, cfg);
    assert.ok(modem.lines.includes(`AT+MQTTLONGUSERNAME=0,${longId.length}`));
    assert.ok(modem.prompted.some((b) => b.toString() === longId));
  });

  it('an ERR CODE line before ERROR becomes the error code with its meaning (AT+SYSLOG=1)', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { modem, driver } = await connected();
    assert.ok(modem.lines.includes('AT+SYSLOG=1'));
    modem.rule(/^AT\+MQTTSUB=/, 'ERR CODE:0x010a6043\r\n\r\nERROR\r\n');
    await assert.rejects(driver.subscribe(`${D}/commands/#`, 1), (err: unknown) => {
      assert.ok(err instanceof ModemError);
      assert.equal(err.code, 'ERROR (ERR CODE:0x010a6043)');
      assert.equal(err.meaning, 'execution failed: topic too long');
      return true;
    });
    modem.rule(/^AT\+MQTTSUB=/, '\r\nERROR\r\n');
    await assert.rejects(driver.subscribe(`${D}/commands/#`, 1), (err: unknown) => err instanceof ModemError && err.code === 'ERROR');
  });

  it('TLS is refused clearly (ESP8266 ESP-AT has none)', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { driver } = setup();
    await assert.rejects(driver.open('iot.example.com', 8883, true), /no TLS/);
  });

  it('publishes with MQTTPUBRAW: exact bytes, success on +MQTTPUB:OK, failure on +MQTTPUB:FAIL', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { modem, driver } = await connected();
    const payload = Buffer.from('{"q":"\\"x\\", y\r\n中文"}\u0000');
    await driver.publish(`${D}/properties/report`, payload, 1);
    assert.ok(modem.lines.includes(`AT+MQTTPUBRAW=0,"${D}/properties/report",${payload.length},1,0`));
    assert.deepEqual(modem.prompted.at(-1), payload);
    modem.rule(/^AT\+MQTTPUBRAW=0,".*",(\d+),\d,0$/, (m, md) => {
      md.send('\r\nOK\r\n');
      md.expectPrompt({ length: Number(m[1]), onData: () => md.send('\r\n+MQTTPUB:FAIL\r\n') }, '>');
    });
    await assert.rejects(driver.publish(`${D}/properties/report`, Buffer.from('{}'), 0), /could not send/);
  });

  it('joins +MQTTSUBRECV pieces by the 512-byte buffer framing; short messages stay separate', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { modem, driver } = await connected();
    const topic = `${D}/messages/down`;
    const body = JSON.stringify({ content: 'x'.repeat(600), n: [1, 2, 3] });
    // QoS 1 PUBLISH header: 1 + 2 (remaining length) + 2 + topic + 2 (packet id); the first piece fills 512.
    const first = 512 - (1 + 2 + 2 + Buffer.byteLength(topic) + 2);
    const a = body.slice(0, first);
    const b = body.slice(first);
    const got: string[] = [];
    driver.on('message', (_idx: number, _t: string, p: Buffer) => got.push(p.toString()));
    const whole = onceWithin(driver, 'message');
    modem.send(`+MQTTSUBRECV:0,"${topic}",${a.length},${a}\r\n`);
    modem.send(`+MQTTSUBRECV:0,"${topic}",${b.length},${b}\r\n`);
    await whole;
    assert.deepEqual(got, [body]);
    // Not JSON, back to back, same topic: still two messages (they do not fill the buffer).
    const two = new Promise<void>((resolve) => driver.on('message', () => got.length === 3 && resolve()));
    modem.send(`+MQTTSUBRECV:0,"${topic}",2,ON\r\n+MQTTSUBRECV:0,"${topic}",3,OFF\r\n`);
    await two;
    assert.deepEqual(got.slice(1), ['ON', 'OFF']);
  });

  it('+MQTTDISCONNECTED is a linkDown; the next connect cleans the client first', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { modem, driver } = await connected();
    const down = onceWithin(driver, 'linkDown');
    modem.send('+MQTTDISCONNECTED:0\r\n');
    const [idx, reason] = await down;
    assert.equal(idx, 0);
    assert.match(reason, /MQTTDISCONNECTED/);
    const cleansBefore = modem.lines.filter((l) => l === 'AT+MQTTCLEAN=0').length;
    await driver.connect('myprod_dev01_0_0_2025041402', 'myprod_dev01', PASSWORD, 120, true);
    assert.equal(modem.lines.filter((l) => l === 'AT+MQTTCLEAN=0').length, cleansBefore + 1);
  });

  it('a refused connection (+MQTTDISCONNECTED then ERROR) is an error, not a linkDown', { timeout: EVENT_DEADLINE_MS }, async () => {
    const { modem, driver } = setup();
    modem.rule(/^AT\+MQTTCONN=/, '+MQTTDISCONNECTED:0\r\n\r\nERROR\r\n');
    let downs = 0;
    driver.on('linkDown', () => downs++);
    await driver.open('iot.example.com', 1883, false);
    await assert.rejects(driver.connect('d_0_0_2025041401', 'd', 'wrong', 120, true), /refused or could not be reached/);
    assert.equal(downs, 0);
  });
});
