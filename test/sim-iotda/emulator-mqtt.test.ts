/**
 * The IoTDA emulator's device side, driven by a plain MQTT.js client against a real
 * broker on 127.0.0.1: logins, ACL, implicit downlinks, synchronous requests, takeover.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator, type EmulatorEvent } from '../../dist/sim/iotda';
import { iotdaCredentials, IotdaTopics, buildTimeSyncRequest, deviceTimeFromSync } from '../../dist/iotda';
import { DeviceClients, deviceOptions, nextEmulatorEvent } from './emulator-clients';

const DEV = 'prod1_dev1';
const SECRET = 'secret-1';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('IoTDA emulator, MQTT side', () => {
  let emu: IotdaEmulator;
  const clients = new DeviceClients(() => emu);

  before(async () => {
    emu = await startIotdaEmulator({
      mqttPort: 0,
      httpPort: 0,
      commandTimeoutMs: 300,
      devices: [
        { deviceId: DEV, secret: SECRET },
        { deviceId: 'prod1_dev2', secret: 'other' },
        { deviceId: 'prod1_frozen', secret: 'cold', frozen: true },
      ],
    });
  });
  after(async () => {
    await emu.close();
  });
  // Every test starts with all devices offline, so "offline" and caching cases are deterministic.
  afterEach(() => clients.endAll());

  function options(overrides: Partial<IClientOptions> = {}, deviceId = DEV, secret = SECRET, signType: 0 | 1 = 0): IClientOptions {
    return deviceOptions(deviceId, secret, overrides, signType);
  }
  function connect(opts: IClientOptions = options()): Promise<MqttClient> {
    return clients.connect(opts);
  }
  function nextEvent(type: string, deviceId = DEV): Promise<EmulatorEvent> {
    return nextEmulatorEvent(emu, type, deviceId);
  }
  function nextMessage(c: MqttClient): Promise<{ topic: string; payload: Buffer; qos: number }> {
    return new Promise((resolve) => c.once('message', (topic, payload, packet) => resolve({ topic, payload, qos: packet.qos })));
  }

  it('accepts a device with correct credentials (sign type 0 and 1) and marks it online', async () => {
    const online = nextEvent('online');
    const first = await connect();
    await online;
    assert.equal(emu.getDevice(DEV)?.online, true);
    await clients.end(first);
    await connect(options({}, DEV, SECRET, 1));
  });

  it('accepts MQTT 3.1 with a ClientId longer than 23 characters (BC26)', async () => {
    const c = await connect(options({ protocolVersion: 3, protocolId: 'MQIsdp' }));
    assert.equal(c.connected, true);
  });

  const refused: [string, () => IClientOptions, number][] = [
    ['malformed ClientId', () => options({ clientId: 'prod1_dev1' }), 2],
    ['identity type 3', () => ({ ...options(), clientId: options().clientId!.replace('_0_0_', '_3_0_') }), 2],
    ['keepalive 20 s', () => options({ keepalive: 20 }), 2],
    ['keepalive 1300 s', () => options({ keepalive: 1300 }), 2],
    ['wrong secret', () => options({}, DEV, 'wrong'), 4],
    ['password is the raw secret', () => options({ password: SECRET }), 4],
    ['username differs from device id', () => options({ username: 'prod1_dev2' }), 4],
    ['unknown device', () => options({}, 'prod1_ghost', 'x'), 4],
    ['sign type 1 with a stale timestamp', () => {
      const c = iotdaCredentials(DEV, SECRET, { signType: 1, now: new Date(Date.now() - 5 * 3_600_000) });
      return options({ clientId: c.clientId, password: c.password });
    }, 4],
    ['frozen device', () => options({}, 'prod1_frozen', 'cold'), 5],
    ['CONNECT with a will', () => options({ will: { topic: `$oc/devices/${DEV}/sys/messages/up`, payload: Buffer.from('bye'), qos: 0, retain: false } }), 5],
  ];
  for (const [name, opts, code] of refused) {
    it(`refuses ${name} with CONNACK ${code}`, async () => {
      await assert.rejects(mqtt.connectAsync(emu.mqttUrl, opts()), (err: Error & { code?: number }) => err.code === code);
    });
  }

  it('accepts a stale sign type 0 timestamp (no clock check), including hour 24', async () => {
    const clientId = `${DEV}_0_0_2025041824`;
    const { createHmac } = await import('node:crypto');
    const password = createHmac('sha256', '2025041824').update(SECRET).digest('hex');
    const c = await connect(options({ clientId, password }));
    assert.equal(c.connected, true);
  });

  it('refuses subscriptions to another device, allows free custom filters and grants QoS 2 as 1', async () => {
    const c = await connect();
    const filters = {
      [`$oc/devices/prod1_dev2/sys/commands/#`]: { qos: 1 as const },
      ['#']: { qos: 0 as const },
      [`$oc/devices/${DEV}/sys/commands/#`]: { qos: 2 as const },
      [`$oc/devices/${DEV}/sys/messages/down`]: { qos: 0 as const },
    };
    // MQTT.js reports a 0x80 in the SUBACK as an error; the SUBACK itself rides along.
    const granted = await new Promise<number[]>((resolve) => {
      c.subscribe(filters, ((_err: Error | null, _subs: unknown, packet?: { granted: number[] }) => resolve(packet!.granted)) as never);
    });
    // '#' is a free custom filter (default device policy); it never matches `$oc` topics (MQTT §4.7.2).
    assert.deepEqual(granted, [128, 0, 1, 0]);
  });

  it('acknowledges then drops a publish to a foreign device or with retain', async () => {
    const victim = await connect(options({}, 'prod1_dev2', 'other'));
    const received: string[] = [];
    victim.on('message', (t) => received.push(t));
    await victim.subscribeAsync(`$oc/devices/prod1_dev2/sys/messages/down`, { qos: 1 });
    const c = await connect();
    const dropped = nextEvent('dropped');
    await c.publishAsync(`$oc/devices/prod1_dev2/sys/messages/down`, 'spoof', { qos: 1 });
    const e = await dropped;
    assert.equal(e.reason, 'topic outside the device namespace');
    const droppedRetain = nextEvent('dropped');
    await c.publishAsync(IotdaTopics.propertiesReport(DEV), '{"services":[]}', { qos: 1, retain: true });
    assert.equal((await droppedRetain).reason, 'retain is not supported');
    // A message the emulator really sends afterwards arrives first, proving the spoof never did.
    const next = nextMessage(victim);
    emu.sendMessage('prod1_dev2', 'real');
    assert.equal(JSON.parse((await next).payload.toString()).content, 'real');
    assert.deepEqual(received, [`$oc/devices/prod1_dev2/sys/messages/down`]);
  });

  it('delivers system downlinks without a subscription at QoS 0, once at QoS 1 when subscribed', async () => {
    const c = await connect();
    const first = nextMessage(c);
    const r = emu.sendMessage(DEV, 'hello');
    assert.equal(r.delivered, true);
    const m = await first;
    assert.equal(m.topic, IotdaTopics.messagesDown(DEV));
    assert.equal(m.qos, 0);
    assert.deepEqual(JSON.parse(m.payload.toString()), { name: null, id: r.id, content: 'hello' });

    await c.subscribeAsync(`$oc/devices/${DEV}/sys/messages/down`, { qos: 1 });
    const got: number[] = [];
    c.on('message', (_t, _p, packet) => got.push(packet.qos));
    const second = nextMessage(c);
    emu.sendMessage(DEV, 'again');
    assert.equal((await second).qos, 1);
    // A third message marks the end: had the second been delivered twice, got would hold 3 entries.
    const third = nextMessage(c);
    emu.sendMessage(DEV, 'end');
    await third;
    assert.deepEqual(got, [1, 1]);
  });

  it('delivers downlinks of every remaining-length size intact, at QoS 0 and 1', async () => {
    const c = await connect();
    // 1, 2 and 3 bytes of MQTT remaining length (§2.2.3): under 128, under 16384, up to the 256 KB body limit.
    const sizes = [10, 300, 20_000, 256 * 1024];
    for (const qos of [0, 1] as const) {
      if (qos === 1) await c.subscribeAsync(IotdaTopics.messagesDown(DEV), { qos: 1 });
      for (const size of sizes) {
        const body = 'x'.repeat(size);
        const m = nextMessage(c);
        emu.sendMessage(DEV, body, { raw: true });
        const got = await m;
        assert.equal(got.qos, qos);
        assert.equal(got.payload.toString(), body, `${size} bytes at QoS ${qos}`);
      }
    }
  });

  it('caches messages for an offline device and delivers them on connect', async () => {
    const r = emu.sendMessage(DEV, 'while-away');
    assert.equal(r.delivered, false);
    // The listener must exist before CONNACK: the cached message follows it immediately.
    const c = clients.track(mqtt.connect(emu.mqttUrl, options()));
    const m = await nextMessage(c);
    assert.equal(JSON.parse(m.payload.toString()).content, 'while-away');
  });

  it('command round trip: v4 request id, response resolves sendCommand', async () => {
    const c = await connect();
    c.on('message', (topic, payload) => {
      const requestId = topic.slice(topic.lastIndexOf('request_id=') + 'request_id='.length);
      const cmd = JSON.parse(payload.toString());
      c.publish(IotdaTopics.commandResponse(DEV, requestId), JSON.stringify({ result_code: 0, paras: { echo: cmd.paras.value } }), { qos: 1 });
    });
    const result = await emu.sendCommand(DEV, { service_id: 'Switch', command_name: 'ON_OFF', paras: { value: 'ON' } }, { timeoutMs: 5000 });
    assert.equal(result.status, 'ok');
    assert.match(result.requestId, UUID_V4);
    assert.deepEqual(result.response, { result_code: 0, paras: { echo: 'ON' } });
    const history = emu.getDevice(DEV)!.history!;
    assert.ok(history.some((h) => h.direction === 'down' && h.kind === 'command'));
  });

  it('command timeout, then the late reply is logged and dropped', async () => {
    const c = await connect();
    const command = nextMessage(c);
    const result = await emu.sendCommand(DEV, { paras: {} });
    assert.equal(result.status, 'timeout');
    assert.ok(result.durationMs >= 250, `timed out after ${result.durationMs} ms`);
    const { topic } = await command;
    const requestId = topic.slice(topic.lastIndexOf('request_id=') + 11);
    assert.equal(requestId, result.requestId);
    const late = nextEvent('late-reply');
    await c.publishAsync(IotdaTopics.commandResponse(DEV, requestId), '{"result_code":0}', { qos: 1 });
    assert.equal((await late).requestId, requestId);
  });

  it('a command to an offline device fails at once', async () => {
    const r = await emu.sendCommand(DEV, { paras: {} });
    assert.equal(r.status, 'offline');
  });

  it('property set and get round trips; reports update the latest properties', async () => {
    const c = await connect();
    const report = nextEvent('report');
    await c.publishAsync(IotdaTopics.propertiesReport(DEV), JSON.stringify({ services: [{ service_id: 'Temp', properties: { value: 21 } }] }), { qos: 1 });
    await report;
    assert.deepEqual(emu.getDevice(DEV)!.properties.Temp.properties, { value: 21 });

    c.on('message', (topic, payload) => {
      const rid = topic.slice(topic.lastIndexOf('request_id=') + 11);
      const body = JSON.parse(payload.toString());
      if (topic.includes('/properties/set/')) {
        c.publish(IotdaTopics.propertiesSetResponse(DEV, rid), JSON.stringify({ result_code: 0, result_desc: `set ${body.services[0].properties.led}` }));
      } else if (topic.includes('/properties/get/')) {
        c.publish(IotdaTopics.propertiesGetResponse(DEV, rid), JSON.stringify({ services: [{ service_id: body.service_id, properties: { value: 99 } }] }));
      }
    });
    const set = await emu.setProperties(DEV, [{ service_id: 'Switch', properties: { led: 1 } }], { timeoutMs: 5000 });
    assert.deepEqual([set.status, set.response], ['ok', { result_code: 0, result_desc: 'set 1' }]);
    const get = await emu.getProperties(DEV, 'Temp', { timeoutMs: 5000 });
    assert.deepEqual([get.status, get.response], ['ok', { services: [{ service_id: 'Temp', properties: { value: 99 } }] }]);
    // §1.6: a get response changes neither stored properties nor the shadow.
    assert.deepEqual(emu.getDevice(DEV)!.properties.Temp.properties, { value: 21 });
  });

  it('answers a time sync request with server times', async () => {
    const c = await connect();
    const reply = nextMessage(c);
    const sent = Date.now();
    await c.publishAsync(IotdaTopics.eventsUp(DEV), JSON.stringify(buildTimeSyncRequest(new Date(sent))), { qos: 1 });
    const m = await reply;
    assert.equal(m.topic, IotdaTopics.eventsDown(DEV));
    const ev = JSON.parse(m.payload.toString()).services[0];
    assert.equal(ev.event_type, 'time_sync_response');
    assert.equal(ev.paras.device_send_time, sent);
    assert.ok(ev.paras.server_recv_time >= sent && ev.paras.server_send_time >= ev.paras.server_recv_time);
    const deviceTime = deviceTimeFromSync(ev.paras, Date.now());
    assert.ok(Math.abs(deviceTime - Date.now()) < 1000);
  });

  it('answers a shadow get with the reported properties', async () => {
    const c = await connect();
    const report = nextEvent('report');
    await c.publishAsync(IotdaTopics.propertiesReport(DEV), JSON.stringify({ services: [{ service_id: 'Meter', properties: { kwh: 7 } }] }), { qos: 1 });
    await report;
    const reply = nextMessage(c);
    await c.publishAsync(IotdaTopics.shadowGet(DEV, 'my-req-1'), JSON.stringify({ service_id: 'Meter' }), { qos: 1 });
    const m = await reply;
    assert.equal(m.topic, IotdaTopics.shadowGetResponse(DEV, 'my-req-1'));
    const body = JSON.parse(m.payload.toString());
    assert.deepEqual(body.shadow.map((s: { service_id: string; reported: { properties: unknown } }) => [s.service_id, s.reported.properties]), [['Meter', { kwh: 7 }]]);
  });

  it('a second connection with the same device id kicks the older one', async () => {
    const older = await connect();
    const closed = new Promise<void>((resolve) => older.once('close', () => resolve()));
    const kicked = nextEvent('kicked');
    // A different hour gives a different ClientId, which aedes alone would not treat as a takeover.
    const c = iotdaCredentials(DEV, SECRET, { now: new Date(Date.now() - 3_600_000) });
    const newer = await connect(options({ clientId: c.clientId, password: c.password }));
    await kicked;
    await closed;
    assert.equal(newer.connected, true);
    assert.equal(emu.getDevice(DEV)!.online, true, 'the device stays online on the newer link');
    const m = nextMessage(newer);
    emu.sendMessage(DEV, 'to-newest');
    assert.equal(JSON.parse((await m).payload.toString()).content, 'to-newest');
  });

  it('marks the device offline when it disconnects', async () => {
    const c = await connect();
    const offline = nextEvent('offline');
    await clients.end(c);
    await offline;
    assert.equal(emu.getDevice(DEV)!.online, false);
  });
});
