/**
 * Issue 10 item 8: a `+QMTRECV` without a length field (BC26; EC20 firmware without
 * recv/mode) carries its payload raw between quotes, CR LF included (docs/models/bc26.md,
 * "Downlinks"). Anyone who can send the device a message controls those bytes: lines in it that
 * look like modem output must stay payload. Before, `hello\r\nRDY\r\nworld` made the driver
 * think the modem rebooted (message lost, full re-init) and `x\r\n+QMTSTAT: 0,1\r\ny` forced a
 * reconnect.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { D, DEVICE, SECRET, startHarness, type Harness } from './emulator-harness';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';

const HOSTILE = ['hello\r\nRDY\r\nworld', 'x\r\n+QMTSTAT: 0,1\r\ny', 'a\r\nOK\r\n\r\nERROR\r\n+CME ERROR: 3\r\nLeaving the BROM\r\nz', '{"cmd":"on"}\r\n+QMTRECV: 0,9,"t",inner\r\nend'];
// Not covered, and cannot be without a length field: a payload LINE that ends with `"` closes
// the quoted string early (docs/models/bc26.md, "Downlinks"). JSON from IoTDA never has a raw
// line break, so its lines never end that way before the real end.

const variants: { name: string; model: 'ec20' | 'bc26'; legacy: boolean }[] = [
  { name: 'BC26', model: 'bc26', legacy: false },
  { name: 'EC20 without recv/mode (no length field)', model: 'ec20', legacy: true },
];

for (const v of variants) {
  describe(`${v.name}: downlinks with line breaks stay one message`, () => {
    let h: Harness;
    let app: mqtt.MqttClient;
    const events: string[] = [];

    before(async () => {
      h = await startHarness(v.model, v.legacy ? { quectelFirmware: 'legacy' } : {});
      await h.driver.init();
      await h.driver.attachNetwork({ apn: 'cmnet' });
      await h.driver.open('iot.example.com', 1883, false);
      const c = iotdaCredentials(DEVICE, SECRET);
      await h.driver.connect(c.clientId, c.username, c.password, 120, true);
      await h.driver.subscribe(`${D}/messages/down`, 1);
      h.driver.on('reboot', () => events.push('reboot'));
      h.driver.on('linkDown', (_idx: number, reason: string) => events.push(`linkDown ${reason}`));
      app = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { clientId: 'app', reconnectPeriod: 0 });
    });

    after(async () => {
      await app?.endAsync(true);
      await h?.close();
    });

    for (const payload of HOSTILE) {
      it(`${JSON.stringify(payload)} arrives as one message; no reboot, no link loss`, { timeout: EVENT_DEADLINE_MS }, async () => {
        const got = onceWithin(h.driver, 'message');
        await app.publishAsync(`${D}/messages/down`, payload, { qos: 1 });
        const [, topic, bytes] = await got;
        assert.equal(topic, `${D}/messages/down`);
        assert.equal((bytes as Buffer).toString('utf8'), payload);
        // The next message too: the channel is back to normal routing, the session is up.
        const next = onceWithin(h.driver, 'message');
        await app.publishAsync(`${D}/messages/down`, 'after', { qos: 1 });
        assert.equal(((await next)[2] as Buffer).toString(), 'after');
        await h.driver.publish(`${D}/properties/report`, Buffer.from('{"services":[]}'), 1);
        assert.deepEqual(events, []);
      });
    }
  });
}
