/**
 * The IoTDA emulator as the platform documents it (docs/iotda.md §1.4-§1.6), through real MQTT.js
 * clients: free custom topics, declared `$oc/.../user/` topics, QoS 2 refused, downlink bodies
 * without `object_device_id`, shadow versions and times.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator, type EmulatorEvent } from '../../dist/sim/iotda';
import { IotdaTopics } from '../../dist/iotda';
import { DeviceClients, deviceOptions, nextEmulatorEvent } from './emulator-clients';

const A = 'rules_devA';
const B = 'rules_devB';
const SECRET = 'sa';
const COMPACT_TIME = /^\d{8}T\d{6}Z$/;

describe('IoTDA emulator, platform rules', () => {
  let emu: IotdaEmulator;
  const clients = new DeviceClients(() => emu);

  before(async () => {
    emu = await startIotdaEmulator({
      commandTimeoutMs: 5000,
      devices: [
        { deviceId: A, secret: SECRET, customTopics: ['telemetry', 'control/led'] },
        { deviceId: B, secret: SECRET },
      ],
    });
  });
  after(async () => {
    await emu.close();
  });
  afterEach(() => clients.endAll());

  function connect(deviceId: string): Promise<MqttClient> {
    return clients.connect(deviceOptions(deviceId, SECRET));
  }
  function nextEvent(type: string, deviceId: string): Promise<EmulatorEvent> {
    return nextEmulatorEvent(emu, type, deviceId);
  }
  /** SUBACK return codes; MQTT.js reports a 0x80 as an error but passes the SUBACK along. */
  function granted(c: MqttClient, filters: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
    return new Promise((resolve) => {
      c.subscribe(filters, ((_err: Error | null, _subs: unknown, packet?: { granted: number[] }) => resolve(packet!.granted)) as never);
    });
  }
  function nextMessage(c: MqttClient, topic: string): Promise<Buffer> {
    return new Promise((resolve) => {
      const on = (t: string, payload: Buffer) => {
        if (t !== topic) return;
        c.off('message', on);
        resolve(payload);
      };
      c.on('message', on);
    });
  }

  it('free custom topics (not starting with $oc) can be subscribed and published, QoS 0 and 1, by MQTT rules', async () => {
    const a = await connect(A);
    const b = await connect(B);
    assert.deepEqual(await granted(a, { '/aircondition/data/down': { qos: 1 }, 'plant/+/temp': { qos: 0 }, 'plant/qos2': { qos: 2 } }), [1, 0, 1]);
    const arrived = nextMessage(a, '/aircondition/data/down');
    const seen = nextEvent('custom-up', B);
    await b.publishAsync('/aircondition/data/down', 'cool', { qos: 1 });
    assert.equal((await arrived).toString(), 'cool');
    assert.equal((await seen).topic, '/aircondition/data/down');
  });

  it('refuses (SUBACK 0x80) and drops (after the PUBACK) a custom topic over 128 bytes and `$` topics other than the own `$oc` ones', async () => {
    const a = await connect(A);
    const long = 'x/'.repeat(64) + 'y';
    assert.deepEqual(await granted(a, { [long]: { qos: 0 }, '$SYS/#': { qos: 0 }, [`$oc/devices/${B}/user/telemetry`]: { qos: 0 } }), [128, 128, 128]);
    const tooLong = nextEvent('dropped', A);
    await a.publishAsync(long, 'x', { qos: 1 });
    assert.equal((await tooLong).reason, 'custom topic of 129 bytes exceeds 128');
    const reserved = nextEvent('dropped', A);
    await a.publishAsync('$SYS/fake', 'x', { qos: 1 });
    assert.equal((await reserved).reason, 'topic outside the device namespace');
  });

  it('grants at most 50 subscriptions per connection', async () => {
    const a = await connect(A);
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_v, i) => [`room/${i}`, { qos: 1 as const }]));
    assert.deepEqual(await granted(a, fifty), Array(50).fill(1));
    assert.deepEqual(await granted(a, { 'room/50': { qos: 1 } }), [128]);
    // Subscribing again to a filter already held does not count twice.
    assert.deepEqual(await granted(a, { 'room/0': { qos: 0 } }), [0]);
  });

  it('custom `$oc/devices/{id}/user/` topics must be declared in the product', async () => {
    const a = await connect(A);
    const user = `$oc/devices/${A}/user/`;
    assert.deepEqual(
      // A filter is allowed when it matches a declared topic.
      await granted(a, { [`${user}control/led`]: { qos: 1 }, [`${user}control/#`]: { qos: 1 }, [`${user}undeclared`]: { qos: 1 } }),
      [1, 1, 128],
    );
    const up = nextEvent('custom-up', A);
    await a.publishAsync(`${user}telemetry`, '{"t":1}', { qos: 1 });
    assert.deepEqual((await up).payload, { t: 1 });
    const dropped = nextEvent('dropped', A);
    await a.publishAsync(`${user}undeclared`, 'x', { qos: 1 });
    const e = await dropped;
    assert.equal(e.reason, 'custom topic not declared in the product');
  });

  it('refuses a QoS 2 PUBLISH loudly: logged, reported and the connection closed', async () => {
    const a = await connect(A);
    const refused = nextEvent('publish-refused', A);
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish(IotdaTopics.propertiesReport(A), '{"services":[]}', { qos: 2 });
    assert.equal((await refused).reason, 'QoS 2 is not supported');
    await closed;
  });

  it('downlinks to a directly connected device carry no object_device_id', async () => {
    const a = await connect(A);
    const bodies: Record<string, unknown>[] = [];
    a.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as Record<string, unknown>;
      bodies.push(body);
      const rid = topic.slice(topic.lastIndexOf('request_id=') + 'request_id='.length);
      if (topic.includes('/sys/commands/')) a.publish(IotdaTopics.commandResponse(A, rid), '{"result_code":0}');
      if (topic.includes('/sys/properties/set/')) a.publish(IotdaTopics.propertiesSetResponse(A, rid), '{"result_code":0}');
      if (topic.includes('/sys/properties/get/')) a.publish(IotdaTopics.propertiesGetResponse(A, rid), '{"services":[]}');
    });
    const message = nextMessage(a, IotdaTopics.messagesDown(A));
    emu.sendMessage(A, 'hi');
    await message;
    assert.equal((await emu.sendCommand(A, { command_name: 'ON', paras: {} })).status, 'ok');
    assert.equal((await emu.setProperties(A, [{ service_id: 'S', properties: { v: 1 } }])).status, 'ok');
    assert.equal((await emu.getProperties(A, 'S')).status, 'ok');
    const event = nextMessage(a, IotdaTopics.eventsDown(A));
    emu.sendEvent(A, [{ service_id: '$ota', event_type: 'version_query', paras: {} }]);
    await event;
    assert.equal(bodies.length, 5);
    for (const body of bodies) assert.equal('object_device_id' in body, false, JSON.stringify(body));
  });

  it('shadow responses keep their version until the shadow changes and use yyyyMMddTHHmmssZ times', async () => {
    const a = await connect(A);
    const report = async (properties: Record<string, unknown>, eventTime?: string) => {
      const stored = nextEvent('report', A);
      const service: Record<string, unknown> = { service_id: 'Meter', properties };
      if (eventTime) service.event_time = eventTime;
      await a.publishAsync(IotdaTopics.propertiesReport(A), JSON.stringify({ services: [service] }), { qos: 1 });
      await stored;
    };
    let n = 0;
    const shadow = async () => {
      const rid = `shadow-${++n}`;
      const reply = nextMessage(a, IotdaTopics.shadowGetResponse(A, rid));
      await a.publishAsync(IotdaTopics.shadowGet(A, rid), '{"service_id":"Meter"}', { qos: 1 });
      const body = JSON.parse((await reply).toString());
      assert.equal('object_device_id' in body, false);
      return body.shadow[0] as { version: number; reported: { properties: unknown; event_time: string } };
    };
    await report({ kwh: 7 }, '2026-12-07T03:04:05.678Z');
    const first = await shadow();
    assert.equal(first.reported.event_time, '20261207T030405Z');
    assert.equal((await shadow()).version, first.version, 'reading the shadow does not change it');
    await report({ kwh: 7 });
    const same = await shadow();
    assert.equal(same.version, first.version, 'the same values leave the shadow as it was');
    assert.match(same.reported.event_time, COMPACT_TIME);
    await report({ kwh: 8 }, '20261207T031000Z');
    const changed = await shadow();
    assert.equal(changed.version, first.version + 1);
    assert.deepEqual(changed.reported, { properties: { kwh: 8 }, event_time: '20261207T031000Z' });
  });
});
