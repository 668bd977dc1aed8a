/**
 * Resends of unacknowledged QoS 1 downlinks (docs/iotda.md §1.7), seen by a real MQTT.js
 * client that withholds its PUBACKs. Intervals are shortened; the ratios are the platform's.
 */
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient, IPublishPacket } from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator, type EmulatorEvent } from '../../dist/sim/iotda';
import { IotdaTopics } from '../../dist/iotda';
import { DeviceClients, deviceOptions, nextEmulatorEvent } from './emulator-clients';

const SECRET = 's1';
const TIMING = { intervalMs: 40, count: 3, roundIntervalMs: 300, rounds: 5 };

interface Received {
  topic: string;
  messageId?: number;
  dup: boolean;
  qos: number;
  at: number;
}

describe('IoTDA emulator, QoS 1 downlink resends', () => {
  let emu: IotdaEmulator;
  const clients = new DeviceClients(() => emu);
  // A fresh device per test: a downlink left unacknowledged by one test must not reach the next.
  let DEV = '';
  let serial = 0;

  before(async () => {
    emu = await startIotdaEmulator({ downlinkResend: TIMING, commandTimeoutMs: 5000 });
  });
  beforeEach(() => {
    DEV = `resend_dev${++serial}`;
    emu.addDevice({ deviceId: DEV, secret: SECRET });
  });
  after(async () => {
    await emu.close();
  });
  afterEach(() => clients.endAll());
  /** A device whose MQTT stack records every PUBLISH and, when `withhold`, never sends a PUBACK. */
  async function device(withhold: boolean): Promise<{ client: MqttClient; received: Received[] }> {
    const client = await clients.connect(deviceOptions(DEV, SECRET));
    const received: Received[] = [];
    client.on('packetreceive', (p) => {
      if (p.cmd !== 'publish') return;
      const pub = p as IPublishPacket;
      received.push({ topic: pub.topic, messageId: pub.messageId, dup: pub.dup === true, qos: pub.qos, at: Date.now() });
    });
    if (withhold) {
      // MQTT.js sends the PUBACK once handleMessage calls back without an error.
      client.handleMessage = (_packet, callback) => callback(new Error('PUBACK withheld'));
    }
    await client.subscribeAsync(IotdaTopics.messagesDown(DEV), { qos: 1 });
    await client.subscribeAsync(`$oc/devices/${DEV}/sys/commands/#`, { qos: 1 });
    return { client, received };
  }
  function nextEvent(type: string): Promise<EmulatorEvent> {
    return nextEmulatorEvent(emu, type, DEV);
  }
  /** Everything written before it has arrived once this QoS 0 event downlink (unsubscribed topic) arrives. */
  async function drain(client: MqttClient): Promise<void> {
    const marker = new Promise<void>((resolve) => {
      const onMessage = (topic: string) => {
        if (topic !== IotdaTopics.eventsDown(DEV)) return;
        client.off('message', onMessage);
        resolve();
      };
      client.on('message', onMessage);
    });
    emu.sendEvent(DEV, [{ service_id: 'marker', event_type: 'marker', paras: {} }]);
    await marker;
  }
  const messages = (r: Received[]) => r.filter((x) => x.topic === IotdaTopics.messagesDown(DEV));

  it('resends a message without PUBACK every interval, 3 times, with the same packet id and DUP set', async () => {
    const { client, received } = await device(true);
    const waiting = nextEvent('downlink-waiting');
    const sentAt = Date.now();
    emu.sendMessage(DEV, 'hello');
    const e = await waiting;
    await drain(client);
    const got = messages(received);
    assert.equal(e.sends, 4);
    assert.deepEqual(got.map((r) => [r.qos, r.dup]), [[1, false], [1, true], [1, true], [1, true]]);
    assert.equal(new Set(got.map((r) => r.messageId)).size, 1, 'one packet id for all sends on one connection');
    // Arrival is after sending, so each resend arriving no earlier than i intervals proves the wait.
    for (let i = 1; i < got.length; i++) {
      assert.ok(got[i].at - sentAt >= i * TIMING.intervalMs - 2, `resend ${i} came ${got[i].at - sentAt} ms after the first send`);
    }
    assert.deepEqual(emu.unacknowledgedDownlinks(DEV).map((d) => [d.sends, d.phase]), [[4, 'waiting']]);
  });

  it('sends once when the device acknowledges', async () => {
    const { client, received } = await device(false);
    const acked = nextEvent('downlink-acked');
    emu.sendMessage(DEV, 'once');
    assert.equal((await acked).sends, 1);
    await drain(client);
    assert.equal(messages(received).length, 1);
    assert.deepEqual(emu.unacknowledgedDownlinks(DEV), []);
  });

  it('a PUBACK lost on the way (injected) makes the platform resend until one arrives', async () => {
    const { client, received } = await device(false);
    emu.injectLostPubacks(DEV, 2);
    const acked = nextEvent('downlink-acked');
    emu.sendMessage(DEV, 'lossy');
    // Two PUBACKs lost: at least the third send is needed (more if an answer is slower than a resend).
    const sends = (await acked).sends as number;
    assert.ok(sends >= 3, `acknowledged after ${sends} sends`);
    await drain(client);
    assert.deepEqual(messages(received).map((r) => r.dup), [false, ...Array(sends - 1).fill(true)]);
  });

  it('after the resends, a reconnect and subscribe start 5 rounds, each with its own resends, then gives up', async () => {
    const first = await device(true);
    const waiting = nextEvent('downlink-waiting');
    emu.sendMessage(DEV, 'persistent');
    await waiting;
    const firstId = messages(first.received)[0].messageId;
    const offline = nextEvent('offline');
    await clients.end(first.client);
    await offline;

    const gaveUp = nextEvent('downlink-undelivered');
    const reconnectedAt = Date.now();
    const second = await device(true);
    const e = await gaveUp;
    await drain(second.client);
    const got = messages(second.received);
    assert.equal(got.length, TIMING.rounds * (1 + TIMING.count));
    assert.equal(e.sends, 4 + got.length);
    assert.equal(new Set(got.map((r) => r.messageId)).size, 1);
    assert.notEqual(got[0].messageId, firstId, 'a new connection gets a new packet id');
    assert.equal(got[0].dup, false);
    // Round starts are the sends 0, 4, 8, ... of this connection, a round interval apart.
    const starts = got.filter((_r, i) => i % (1 + TIMING.count) === 0).map((r) => r.at);
    for (let i = 1; i < starts.length; i++) {
      assert.ok(starts[i] - reconnectedAt >= i * TIMING.roundIntervalMs - 2, `round ${i} started ${starts[i] - reconnectedAt} ms after the reconnect`);
    }
    assert.deepEqual(emu.unacknowledgedDownlinks(DEV), []);
  });

  it('a round ends when the reconnected device acknowledges', async () => {
    const first = await device(true);
    const waiting = nextEvent('downlink-waiting');
    emu.sendMessage(DEV, 'second-chance');
    await waiting;
    const offline = nextEvent('offline');
    await clients.end(first.client);
    await offline;
    const acked = nextEvent('downlink-acked');
    const again = await device(false);
    assert.equal((await acked).sends, 5);
    await drain(again.client);
    assert.deepEqual(messages(again.received).map((r) => r.dup), [false]);
  });

  it('a subscribe on the same connection also starts the rounds', async () => {
    const { client, received } = await device(true);
    const waiting = nextEvent('downlink-waiting');
    emu.sendMessage(DEV, 'resubscribe');
    await waiting;
    await drain(client);
    const before = messages(received).length;
    const roundSent = new Promise<void>((resolve) => client.on('message', (t) => t === IotdaTopics.messagesDown(DEV) && resolve()));
    await client.subscribeAsync(IotdaTopics.messagesDown(DEV), { qos: 1 });
    await roundSent;
    const round = messages(received).slice(before);
    assert.equal(round[0].dup, true, 'same connection, same packet id: a re-delivery');
    assert.equal(round[0].messageId, messages(received)[0].messageId);
  });

  it('a command is resent without PUBACK and no longer once the device answers it', async () => {
    const { client, received } = await device(true);
    let deliveries = 0;
    client.on('message', (topic) => {
      if (!topic.includes('/sys/commands/request_id=')) return;
      // Answer the second delivery only: the first resend proves the command was resent.
      if (++deliveries !== 2) return;
      const requestId = topic.slice(topic.lastIndexOf('request_id=') + 'request_id='.length);
      client.publish(IotdaTopics.commandResponse(DEV, requestId), '{"result_code":0}', { qos: 1 });
    });
    const result = await emu.sendCommand(DEV, { paras: { on: true } });
    assert.equal(result.status, 'ok');
    const sent = received.filter((r) => r.topic.includes('/sys/commands/request_id='));
    assert.ok(sent.length >= 2);
    assert.equal(new Set(sent.map((r) => r.messageId)).size, 1);
    assert.deepEqual(emu.unacknowledgedDownlinks(DEV), [], 'the answer ends the resends');
  });
});

describe('IoTDA emulator, cached QoS 1 downlinks: expiry and the 20-message cache', () => {
  let emu: IotdaEmulator;
  const clients = new DeviceClients(() => emu);
  const DEV = 'cache_dev1';

  before(async () => {
    // The cache time is shorter than one burst of resends, so a waiting message has expired.
    emu = await startIotdaEmulator({ devices: [{ deviceId: DEV, secret: SECRET }], downlinkResend: TIMING, messageCacheMs: 50 });
  });
  after(async () => {
    await emu.close();
  });
  afterEach(() => clients.endAll());

  async function withholdingDevice(): Promise<MqttClient> {
    const client = await clients.connect(deviceOptions(DEV, SECRET));
    client.handleMessage = (_packet, callback) => callback(new Error('PUBACK withheld'));
    await client.subscribeAsync(IotdaTopics.messagesDown(DEV), { qos: 1 });
    return client;
  }

  it('a message past its cache time is given up instead of resent on reconnect', async () => {
    const first = await withholdingDevice();
    const waiting = nextEmulatorEvent(emu, 'downlink-waiting', DEV);
    emu.sendMessage(DEV, 'stale');
    assert.ok(((await waiting).sends as number) > 1);
    const offline = nextEmulatorEvent(emu, 'offline', DEV);
    await clients.end(first);
    await offline;
    const gaveUp = nextEmulatorEvent(emu, 'downlink-undelivered', DEV);
    const second = await withholdingDevice();
    const e = await gaveUp;
    assert.equal(e.reason, 'expired from the cache');
    assert.equal(e.sends, 4, 'nothing was sent on the new connection');
    assert.deepEqual(emu.unacknowledgedDownlinks(DEV), []);
    assert.ok(second.connected);
  });

  it('a 21st unacknowledged message pushes the oldest out of the cache', async () => {
    await withholdingDevice();
    const pushedOut = nextEmulatorEvent(emu, 'downlink-undelivered', DEV);
    for (let i = 0; i < 21; i++) emu.sendMessage(DEV, `m${i}`);
    const e = await pushedOut;
    assert.equal(e.reason, 'cache full (20 per device)');
    assert.equal(emu.unacknowledgedDownlinks(DEV).length, 20);
  });
});
