/**
 * Issue 10 item 3: older Quectel firmware without optional MQTT settings, through the real
 * driver and the emulator's firmware variants (docs/models/ec20.md and docs/models/bc26.md,
 * "Firmware variants"). Before, open() threw on the first refused setting.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { D, DEVICE, SECRET, startHarness, type Harness } from './emulator-harness';
import { EVENT_DEADLINE_MS, onceWithin } from './event-deadline';

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  harnesses = [];
});

async function online(model: 'ec20' | 'bc26'): Promise<Harness> {
  const h = await startHarness(model, { quectelFirmware: 'legacy' });
  harnesses.push(h);
  await h.driver.init();
  await h.driver.attachNetwork({ apn: 'cmnet' });
  await h.driver.open('iot.example.com', 1883, false);
  const c = iotdaCredentials(DEVICE, SECRET);
  await h.driver.connect(c.clientId, c.username, c.password, 120, true);
  return h;
}

async function downlink(h: Harness, payload: string): Promise<Buffer> {
  await h.driver.subscribe(`${D}/messages/down`, 1);
  const app = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { clientId: 'app', reconnectPeriod: 0 });
  try {
    const got = onceWithin(h.driver, 'message');
    await app.publishAsync(`${D}/messages/down`, payload, { qos: 1 });
    return (await got)[2] as Buffer;
  } finally {
    await app.endAsync(true);
  }
}

describe('older Quectel firmware (emulator firmware variants)', () => {
  it('EC20 without QMTCFG "recv/mode": open succeeds with a note; downlinks are parsed without a length', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await online('ec20');
    assert.ok(h.trace.some((t) => t.startsWith('--') && /recv\/mode" refused/.test(t)), h.trace.join('\n'));
    // Digits and `,"` at the start would pass for a length field if the driver still expected one.
    const payload = '5,"hello" and the rest';
    assert.equal((await downlink(h, payload)).toString(), payload);
  });

  it('BC26 before MQTT AN V1.1 (no QMTCFG "version"): connects with MQTT 3.1 after a note', { timeout: EVENT_DEADLINE_MS }, async () => {
    const h = await online('bc26');
    const clients = Object.values((h.broker as unknown as { clients: Record<string, { id: string; version: number }> }).clients);
    assert.deepEqual(clients.map((c) => c.version), [3], 'MQTT 3.1 on the wire');
    assert.ok(h.trace.some((t) => t.startsWith('--') && /MQTT 3\.1/.test(t) && /refused/.test(t)), h.trace.join('\n'));
    assert.ok(h.trace.includes('>> AT+QMTCFG="version",0,3'), 'the 3.1 fallback was tried too');
    assert.equal((await downlink(h, '{"on":true}')).toString(), '{"on":true}');
  });
});
