/**
 * Error paths of the real driver against the emulators' injected faults: every failure is a
 * clear error naming the command and the modem's code, and the driver recovers where it can.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import type { QuectelFaults } from '../../dist/sim/modems/quectel-emulator';
import type { Esp8266Faults } from '../../dist/sim/modems/esp8266';
import { ModemError } from '../../dist/modems/errors';
import { loadProfile } from '../../dist/modems/load-profile';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { D, DEVICE, SECRET, startHarness, type Harness } from './emulator-harness';
import { EVENT_DEADLINE_MS, onceWithin, within } from './event-deadline';

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  harnesses = [];
});

async function harness(...args: Parameters<typeof startHarness>): Promise<Harness> {
  const h = await startHarness(...args);
  harnesses.push(h);
  return h;
}

/** init + attach: the emulated QMTOPEN needs an active PDP context, as a real one does. */
async function ready(h: Harness): Promise<void> {
  await h.driver.init();
  await h.driver.attachNetwork({ apn: 'cmnet', wifiSsid: 'lab', wifiPassword: 'right-password' });
}

async function online(h: Harness, clientIndex = 0, hourOffset = 0): Promise<void> {
  const s = h.driver.session(clientIndex);
  await s.open('iot.example.com', 1883, false);
  const c = iotdaCredentials(DEVICE, SECRET, { now: new Date(Date.now() - hourOffset * 3_600_000) });
  await s.connect({ clientId: c.clientId, username: c.username, password: c.password, keepalive: 120, cleanSession: true });
}

const modemError = (code: RegExp, meaning: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ModemError, String(err));
  assert.match(err.code, code);
  assert.match(err.meaning, meaning);
  return true;
};

describe('EC20 error paths (emulator)', () => {
  it('no SIM: attach fails at once naming CME 10', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('ec20');
    await h.driver.init();
    (h.emulator.faults as QuectelFaults).simAbsent(true);
    await assert.rejects(h.driver.attachNetwork({ apn: 'cmnet', timeoutMs: 30_000 }), modemError(/CME ERROR: 10/, /SIM not inserted/));
  });

  it('registration denied fails with the stat meaning', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('ec20', { registration: 3 });
    await h.driver.init();
    await assert.rejects(h.driver.attachNetwork({ apn: 'cmnet' }), modemError(/stat 3/, /denied/));
  });

  // Issue 10 item 2: the attach used to fail on the first +CREG: 0,3.
  it('a data-only SIM (CREG denied, CGREG/CEREG registered) attaches and goes online', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('ec20', { sim: 'data-only' });
    await ready(h);
    await online(h);
    assert.ok(h.trace.some((t) => t === '<< +CREG: 0,3'), 'the emulator reported CS registration denied');
  });

  it('not registered before the deadline fails with the last stat', { timeout: EVENT_DEADLINE_MS }, async () => {
    const profile = loadProfile({ extends: 'ec20', name: 'ec20-fastpoll', attach: { pollMs: 20 } });
    const h = await harness('ec20', { registration: 2 }, profile);
    await h.driver.init();
    await assert.rejects(h.driver.attachNetwork({ apn: 'cmnet', timeoutMs: 300 }), modemError(/stat 2/, /searching/));
  });

  it('SIM busy (CME 14) is retried until the SIM is ready', { timeout: EVENT_DEADLINE_MS }, async () => {
    const profile = loadProfile({ extends: 'ec20', name: 'ec20-fastpoll', attach: { pollMs: 20 } });
    const h = await harness('ec20', {}, profile);
    await h.driver.init();
    h.emulator.faults.busy(2);
    await h.driver.attachNetwork({ apn: 'cmnet', timeoutMs: 10_000 });
  });

  for (const code of [-1, 3, 4, 5]) {
    it(`QMTOPEN result ${code} is a ModemError with its meaning`, { timeout: EVENT_DEADLINE_MS }, async () => {
      const h = await harness('ec20');
      await ready(h);
      (h.emulator.faults as QuectelFaults).openResult(code);
      await assert.rejects(h.driver.open('iot.example.com', 1883, false), modemError(new RegExp(`\\+QMTOPEN: 0,${code}`), /\w/));
    });
  }

  it('CONNACK 5 from the modem is reported with the CONNACK meaning', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('ec20');
    await ready(h);
    await h.driver.open('iot.example.com', 1883, false);
    (h.emulator.faults as QuectelFaults).connResult(0, 5);
    const c = iotdaCredentials(DEVICE, SECRET);
    await assert.rejects(h.driver.connect(c.clientId, c.username, c.password, 120, true), modemError(/\+QMTCONN: 0,0,5/, /not authorised/));
  });

  it('a refused subscription is an error', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('ec20');
    await ready(h);
    await online(h);
    (h.emulator.faults as QuectelFaults).refuseSubscribe();
    await assert.rejects(h.driver.subscribe(`${D}/commands/#`, 1), modemError(/128/, /refused the subscription/));
  });

  it('a command that gets no answer times out (custom profile with short timeouts)', { timeout: EVENT_DEADLINE_MS }, async () => {
    const profile = loadProfile({ extends: 'ec20', name: 'ec20-short', timeouts: { csq: 100 } });
    const h = await harness('ec20', {}, profile);
    await h.driver.init();
    h.emulator.faults.delay(400);
    await assert.rejects(h.driver.signal(), (err: unknown) => err instanceof Error && /timeout|timed out/i.test(`${err.name} ${err.message}`));
  });

  it('a reboot mid-publish fails the publish, emits reboot, and the driver re-inits', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('ec20');
    await ready(h);
    await online(h);
    const rebooted = onceWithin(h.driver, 'reboot');
    const pub = h.driver.publish(`${D}/properties/report`, Buffer.from('{"services":[]}'), 1);
    h.emulator.faults.reboot();
    await assert.rejects(pub);
    await rebooted;
    await ready(h);
    await online(h);
    await h.driver.publish(`${D}/properties/report`, Buffer.from('{"services":[]}'), 1);
  });

  it('+QMTSTAT link drop is a linkDown with the code meaning', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('ec20');
    await ready(h);
    await online(h);
    const down = onceWithin(h.driver, 'linkDown');
    (h.emulator.faults as QuectelFaults).linkStatus(0, 2);
    const [idx, reason] = await down;
    assert.equal(idx, 0);
    assert.match(reason, /\+QMTSTAT: 0,2 .*PINGREQ/);
  });

  it('two client indexes carry two independent sessions on one modem', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('ec20');
    await ready(h);
    await Promise.all([online(h, 0, 0), online(h, 1, 1)]);
    const s0 = h.driver.session(0);
    const s1 = h.driver.session(1);
    await s0.subscribe(`${D}/commands/#`, 1);
    await s1.subscribe(`${D}/messages/down`, 1);
    const app = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { clientId: 'app', reconnectPeriod: 0 });
    try {
      await app.subscribeAsync(`${D}/#`, { qos: 1 });
      const seen: string[] = [];
      const both = new Promise<void>((resolve) =>
        app.on('message', (_t, p) => {
          seen.push(p.toString());
          if (seen.length === 2) resolve();
        }),
      );
      await Promise.all([s0.publish(`${D}/events/up`, Buffer.from('from-0'), 1), s1.publish(`${D}/messages/up`, Buffer.from('from-1'), 1)]);
      await within(both, 'both uplinks at the subscriber');
      assert.deepEqual(seen.sort(), ['from-0', 'from-1']);
      const got1 = onceWithin(s1, 'message');
      await app.publishAsync(`${D}/messages/down`, Buffer.from('to-1'), { qos: 1 });
      assert.equal((await got1)[1].toString(), 'to-1');
      const got0 = onceWithin(s0, 'message');
      await app.publishAsync(`${D}/commands/request_id=1`, Buffer.from('to-0'), { qos: 1 });
      assert.equal((await got0)[1].toString(), 'to-0');
      // A drop on index 1 leaves index 0 up.
      const down = onceWithin(h.driver, 'linkDown');
      (h.emulator.faults as QuectelFaults).linkStatus(1, 1);
      assert.equal((await down)[0], 1);
      await s0.publish(`${D}/events/up`, Buffer.from('still-up'), 1);
    } finally {
      await app.endAsync(true);
    }
    assert.deepEqual(h.emulator.violations, []);
  });
});

describe('BC26 error paths (emulator)', () => {
  it('no SIM: attach fails at once naming CME 10', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('bc26', { simPresent: false });
    await h.driver.init();
    await assert.rejects(h.driver.attachNetwork({ apn: 'ctnb', timeoutMs: 30_000 }), modemError(/CME ERROR: 10/, /SIM not inserted/));
  });

  it('QMTOPEN result 4 (DNS) is a ModemError with its meaning', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('bc26');
    await ready(h);
    (h.emulator.faults as QuectelFaults).openResult(4);
    await assert.rejects(h.driver.open('iot.example.com', 1883, false), modemError(/\+QMTOPEN: 0,4/, /DNS/));
  });

  it('a reboot (BROM banner) mid-publish fails the publish, emits reboot, and re-init turns sleep off again', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('bc26');
    await ready(h);
    await online(h);
    const rebooted = onceWithin(h.driver, 'reboot');
    const pub = h.driver.publish(`${D}/properties/report`, Buffer.from('{"services":[]}'), 1);
    h.emulator.faults.reboot();
    await assert.rejects(pub, modemError(/./, /restarted/));
    await rebooted;
    const before = h.trace.length;
    await ready(h);
    assert.ok(h.trace.slice(before).some((l) => l === '>> AT+QSCLK=0'), 'sleep off after every reboot');
    await online(h);
    await h.driver.publish(`${D}/properties/report`, Buffer.from('{"services":[]}'), 1);
    assert.deepEqual(h.emulator.violations, []);
  });
});

describe('ESP8266 error paths (emulator)', () => {
  const wifi = { wifiSsid: 'lab', wifiPassword: 'right-password' };

  it('+CWJAP:2 (wrong password) is a clear error', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('esp8266', { wifiNetworks: [{ ssid: 'lab', password: 'right-password' }] });
    await h.driver.init();
    await assert.rejects(h.driver.attachNetwork({ wifiSsid: 'lab', wifiPassword: 'wrong-password' }), modemError(/\+CWJAP:2/, /wrong password/));
  });

  it('+CWJAP:3 (AP not found) via fault injection', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('esp8266');
    await h.driver.init();
    (h.emulator.faults as Esp8266Faults).wifiJoinFailure(3);
    await assert.rejects(h.driver.attachNetwork(wifi), modemError(/\+CWJAP:3/, /cannot find/));
  });

  it('firmware 1.7 (no MQTT) is refused at init with a flashing hint', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('esp8266', { espFirmware: '1.7.4.0' } as never);
    await assert.rejects(h.driver.init(), modemError(/AT version:1\.7/, /flash Espressif ESP-AT >= 2\.2/));
  });

  it('busy p... is retried', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('esp8266');
    await h.driver.init();
    h.emulator.faults.busy(2);
    await h.driver.attachNetwork(wifi);
  });

  it('a refused MQTT connection is an error and no linkDown', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('esp8266');
    await h.driver.init();
    await h.driver.attachNetwork(wifi);
    let downs = 0;
    h.driver.on('linkDown', () => downs++);
    (h.emulator.faults as Esp8266Faults).connectRefused();
    await h.driver.open('iot.example.com', 1883, false);
    const c = iotdaCredentials(DEVICE, SECRET);
    await assert.rejects(h.driver.connect(c.clientId, c.username, c.password, 120, true), /refused or could not be reached/);
    assert.equal(downs, 0);
    // The next attempt cleans the client and succeeds.
    await h.driver.connect(c.clientId, c.username, c.password, 120, true);
  });

  it('Wi-Fi loss while connected is a linkDown', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('esp8266');
    await h.driver.init();
    await h.driver.attachNetwork(wifi);
    await online(h);
    const down = onceWithin(h.driver, 'linkDown');
    (h.emulator.faults as Esp8266Faults).wifiLost();
    assert.match((await down)[1], /MQTTDISCONNECTED/);
  });

  it('a reboot mid-publish fails the publish and emits reboot', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await harness('esp8266');
    await h.driver.init();
    await h.driver.attachNetwork(wifi);
    await online(h);
    const rebooted = onceWithin(h.driver, 'reboot');
    const pub = h.driver.publish(`${D}/properties/report`, Buffer.from('{"services":[]}'), 1);
    h.emulator.faults.reboot();
    await assert.rejects(pub);
    await rebooted;
    await h.driver.init();
  });
});
