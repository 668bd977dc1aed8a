/**
 * The real driver, AT channel and modem emulator (strict mode) against a real aedes broker
 * on loopback, with Huawei-style credentials checked by the broker: the whole uplink and
 * downlink path per model, byte-exact at an MQTT.js subscriber.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import type { ModemEmulator } from '../../dist/sim/modems';
import type { GenericModemDriver } from '../../dist/modems/generic-driver';
import { ModemError, PayloadRejectedError } from '../../dist/modems/errors';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { D, DEVICE, SECRET, startHarness, type Harness } from './emulator-harness';
import { EVENT_DEADLINE_MS, onceWithin, within } from './event-deadline';
// The SSID has quotes and a comma: AT+CWJAP? prints it unescaped, so the rssi must be found after the BSSID.
const WIFI = { ssid: 'lab "2.4G", east', password: 'p\\ss,"word"', rssi: -67 };

interface PayloadCase {
  name: string;
  payload: Buffer;
  /** Models whose publish mode cannot carry it (refused before sending). */
  refusedBy?: string[];
}

const PAYLOADS: PayloadCase[] = [
  { name: 'quotes, commas, backslashes', payload: Buffer.from('{"a":"say \\"hi\\", then","path":"C:\\\\x","b":[1,2]}') },
  { name: 'raw CR LF', payload: Buffer.from('line1\r\nline2\n'), refusedBy: ['bc26'] },
  { name: 'Chinese UTF-8 text', payload: Buffer.from(JSON.stringify({ 温度: '二十五度', note: '中文测试' })) },
  { name: '1000+ bytes of JSON', payload: Buffer.from(JSON.stringify({ blob: 'x'.repeat(1000) })), refusedBy: ['esp8266'] },
  { name: 'JSON with escaped control characters', payload: Buffer.from(JSON.stringify({ t: 'a\r\nb\u001a' })) },
];

const MODELS = ['ec20', 'bc26', 'esp8266'] as const;

for (const model of MODELS) {
  describe(`${model}: driver against the emulator and a real broker`, () => {
    let h: Harness;
    let emulator: ModemEmulator;
    let driver: GenericModemDriver;
    let app: mqtt.MqttClient;
    let trace: string[];

    before(async () => {
      h = await startHarness(model, { wifiNetworks: [WIFI] });
      ({ emulator, driver, trace } = h);
      const port = h.port;
      // The application side: a plain MQTT.js client that sees what the device publishes.
      app = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'app', reconnectPeriod: 0 });
      await app.subscribeAsync(`${D}/properties/report`, { qos: 1 });
    });

    after(async () => {
      await app?.endAsync(true);
      await h?.close();
    });

    it('init and network attach', { timeout: EVENT_DEADLINE_MS }, async () => {
      const id = await driver.init();
      assert.ok(id.firmware.length > 0);
      const steps: string[] = [];
      await driver.attachNetwork({ apn: 'cmnet', wifiSsid: WIFI.ssid, wifiPassword: WIFI.password, onStep: (s) => steps.push(s) });
      assert.ok(steps.length > 0);
    });

    it('signal() reads the signal quality the modem reports', { timeout: EVENT_DEADLINE_MS }, async () => {
      const sig = await driver.signal();
      if (model === 'esp8266') {
        assert.deepEqual(sig, { raw: -67, dbm: -67, percent: 66 });
      } else {
        // The emulator's default AT+CSQ is 24: -113 + 2 * 24 dBm.
        assert.deepEqual(sig, { raw: 24, dbm: -65, percent: 77 });
      }
    });

    it('a wrong secret is refused by the broker and reported as a ModemError', { timeout: EVENT_DEADLINE_MS }, async () => {
      await driver.open('iot.example.com', 1883, false);
      const bad = iotdaCredentials(DEVICE, 'wrong-secret');
      await assert.rejects(driver.connect(bad.clientId, bad.username, bad.password, 120, true), (err: unknown) => {
        assert.ok(err instanceof ModemError, String(err));
        if (model !== 'esp8266') assert.match(err.meaning, /bad user name or password/);
        assert.ok(!err.message.includes(bad.password), 'password redacted');
        return true;
      });
    });

    it('connects with Huawei-style credentials and subscribes', { timeout: EVENT_DEADLINE_MS }, async () => {
      await driver.open('iot.example.com', 1883, false);
      const ok = iotdaCredentials(DEVICE, SECRET);
      await driver.connect(ok.clientId, ok.username, ok.password, 120, true);
      assert.equal(await driver.subscribe(`${D}/commands/#`, 1), 1);
      assert.equal(await driver.subscribe(`${D}/messages/down`, 0), 0);
    });

    for (const c of PAYLOADS) {
      for (const qos of [0, 1] as const) {
        it(`publish QoS ${qos}: ${c.name} arrives byte-exact or is refused before sending`, { timeout: EVENT_DEADLINE_MS }, async () => {
          const topic = `${D}/properties/report`;
          const refusal = c.refusedBy?.includes(model);
          const arrived = new Promise<Buffer>((resolve) => {
            const onMessage = (t: string, payload: Buffer) => {
              if (t !== topic) return;
              app.off('message', onMessage);
              resolve(payload);
            };
            app.on('message', onMessage);
          });
          const linesBefore = emulator.transcript.length;
          const sent = driver.publish(topic, c.payload, qos);
          if (refusal) {
            await assert.rejects(sent, (err: unknown) => err instanceof PayloadRejectedError && /payload/.test(err.message));
            assert.equal(emulator.transcript.length, linesBefore, 'nothing reached the modem');
            return;
          }
          await sent;
          assert.deepEqual(await within(arrived, `the publish on ${topic} at the MQTT.js subscriber`), c.payload);
        });
      }
    }

    it('receives downlinks byte-exact', { timeout: EVENT_DEADLINE_MS }, async () => {
      const body = Buffer.from(JSON.stringify({ object_device_id: DEVICE, content: 'hello, "world" 你好' }));
      const got = onceWithin(driver, 'message');
      await app.publishAsync(`${D}/messages/down`, body, { qos: 1 });
      const [idx, topic, payload] = await got;
      assert.equal(idx, 0);
      assert.equal(topic, `${D}/messages/down`);
      assert.deepEqual(payload, body);
    });

    it('a link drop is reported as linkDown', { timeout: EVENT_DEADLINE_MS }, async () => {
      const down = onceWithin(driver, 'linkDown');
      emulator.faults.dropLink(0);
      const [idx, reason] = await down;
      assert.equal(idx, 0);
      assert.ok(reason.length > 0);
    });

    it('reconnects after the drop, then disconnects cleanly', { timeout: EVENT_DEADLINE_MS }, async () => {
      await driver.open('iot.example.com', 1883, false);
      const ok = iotdaCredentials(DEVICE, SECRET);
      await driver.connect(ok.clientId, ok.username, ok.password, 120, true);
      await driver.publish(`${D}/properties/report`, Buffer.from('{"services":[]}'), 1);
      await driver.disconnect();
    });

    it('strict mode recorded no malformed command', () => {
      assert.deepEqual(emulator.violations, [], trace.slice(-30).join('\n'));
    });
  });
}
