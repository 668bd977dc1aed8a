import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { DownlinkMessage } from '../../dist/link/link-supervisor';
import { ModemError } from '../../dist/modems/errors';
import { useMockClock } from '../mock-clock';
import { DEVICE, holdPublish, reach, reachIn, useLinkRig } from './link-rig';

/** What the Quectel driver throws for a refused login: a typed error, whatever its text. */
const connackError = (code: 4 | 5) =>
  new ModemError('AT+QMTCONN=0,"x","x","***"', `+QMTCONN: 0,0,${code}`, `CONNACK ${code}: refused`, { kind: 'auth', connack: code });

const SYS = `$oc/devices/${DEVICE}/sys`;
const rig = useLinkRig();

describe('LinkSupervisor', () => {
  it('walks every state to online, subscribes the system topics and raw filters, connect is idempotent', async () => {
    const r = rig();
    await r.link.subscribe(`$oc/devices/${DEVICE}/user/down`, 1);
    r.link.connect();
    r.link.connect();
    const online = await reach(r.link, 'online');
    r.link.connect();
    assert.deepEqual(r.states, ['opening-port', 'init', 'attaching', 'opening-mqtt', 'connecting', 'subscribing', 'online']);
    assert.equal(online.queued, 0);
    assert.equal(r.drivers.length, 1);
    const s = r.drivers[0].sessions.get(0)!;
    assert.equal(s.calls.filter((c) => c.startsWith('open')).length, 1);
    const subs = s.calls.filter((c) => c.startsWith('sub ')).map((c) => c.slice(4));
    assert.equal(subs.length, 7);
    assert.ok(subs.includes(`${SYS}/commands/#`));
    assert.ok(subs.includes(`$oc/devices/${DEVICE}/user/down`));
    // The secret and the HMAC password are redacted in the AT trace.
    assert.ok(r.drivers[0].channel.secrets.includes('top-secret'));
    assert.ok(r.drivers[0].channel.secrets.includes(s.connects[0].password));
    // Step names reach the status for the SIM and network phases.
    assert.ok(r.statuses.some((x) => x.state === 'attaching' && x.step === 'network'));
  });

  it('reconnects after a link drop with fresh credentials and resubscribes, backing off between floor and ceiling', async (t) => {
    const clock = useMockClock(t);
    const r = rig({ reconnectFloorMs: 5, reconnectCeilingMs: 20 });
    r.link.connect();
    await reachIn(clock, r.link, 'online');
    const d = r.drivers[0];
    const session = d.sessions.get(0)!;
    // Fail the next three opens so the delays climb: 5, 10, 20, 20.
    d.failures.set('open', [new Error('open failed'), new Error('open failed'), new Error('open failed')]);
    session.emit('linkDown', '+QMTSTAT: 0,1 (peer closed)');
    await reachIn(clock, r.link, 'online');
    const delays = r.statuses.filter((x) => x.state === 'backoff').map((x) => x.retryInMs);
    assert.deepEqual(delays, [5, 10, 20, 20]);
    assert.equal(session.connects.length, 2);
    assert.ok(r.statuses.some((x) => x.reason === '+QMTSTAT: 0,1 (peer closed)'));
    const subs = session.calls.filter((c) => c.startsWith('sub ')).length;
    assert.equal(subs, 12, 'system subscriptions sent once per connect');
    // The modem was not re-initialised for an MQTT-only drop.
    assert.equal(d.inits, 1);
  });

  it('stops retrying on CONNACK 4 (refused) until reconnect() and says why', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    const d = r.drivers[0];
    d.failures.set('connect', [connackError(4)]);
    d.sessions.get(0)!.emit('linkDown', 'kicked');
    const halted = await reach(r.link, 'refused');
    assert.equal(halted.retryInMs, undefined);
    assert.equal(halted.connack, 4);
    assert.match(halted.reason ?? '', /CONNACK 4/);
    r.link.connect(); // not a config change: stays refused
    assert.equal(r.link.state, 'refused');
    r.link.reconnect();
    await reach(r.link, 'online');
  });

  it('a close URC that overtakes a refused CONNECT still halts on the CONNACK', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    const d = r.drivers[0];
    const session = d.sessions.get(0)!;
    let release!: () => void;
    d.holds.set('connect', new Promise<void>((res) => (release = res)));
    d.failures.set('connect', [connackError(4)]);
    session.emit('linkDown', 'kicked');
    await reach(r.link, 'connecting');
    session.emit('linkDown', '+QMTSTAT: 0,1 (peer closed)'); // the broker closed the socket after CONNACK 4
    assert.equal(r.link.state, 'connecting', 'the pending connect decides');
    d.holds.delete('connect');
    release();
    const s = await reach(r.link, 'refused');
    assert.equal(s.connack, 4);
  });
});

describe('LinkSupervisor offline queue', () => {
  it('queues while offline and flushes in order once online', async () => {
    const r = rig();
    const sent = ['a', 'b', 'c'].map((p) => r.link.publish(`${SYS}/messages/up`, Buffer.from(p), 1, { owner: 'n1' }));
    assert.equal(r.link.status.queued, 3);
    r.link.connect();
    const ids = await Promise.all(sent);
    assert.deepEqual(ids, [1, 2, 3]);
    const published = r.drivers[0].sessions.get(0)!.published.map((p) => p.payload);
    assert.deepEqual(published, ['a', 'b', 'c']);
    assert.equal(r.link.status.queued, 0);
  });

  it('drops the oldest of an owner when its limit is reached, and fails fast with queueSize 0', async () => {
    const r = rig();
    const first = r.link.publish(`${SYS}/messages/up`, Buffer.from('1'), 1, { owner: 'n1', queueSize: 2 });
    const other = r.link.publish(`${SYS}/messages/up`, Buffer.from('x'), 1, { owner: 'n2', queueSize: 2 });
    const second = r.link.publish(`${SYS}/messages/up`, Buffer.from('2'), 1, { owner: 'n1', queueSize: 2 });
    const third = r.link.publish(`${SYS}/messages/up`, Buffer.from('3'), 1, { owner: 'n1', queueSize: 2 });
    await assert.rejects(first, { name: 'LinkError', code: 'queue-full' });
    await assert.rejects(r.link.publish(`${SYS}/messages/up`, Buffer.from('z'), 1, { owner: 'n3', queueSize: 0 }), {
      code: 'queue-disabled',
    });
    r.link.connect();
    await Promise.all([other, second, third]);
    assert.deepEqual(r.drivers[0].sessions.get(0)!.published.map((p) => p.payload), ['x', '2', '3']);
  });

  it('keeps a publish interrupted by a link loss and sends it after the reconnect', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    const d = r.drivers[0];
    const release = holdPublish(d, new Error('+QMTPUB: 0,1,2 (failed)'));
    const p = r.link.publish(`${SYS}/messages/up`, Buffer.from('kept'), 1);
    d.sessions.get(0)!.emit('linkDown', 'dropped');
    d.holds.delete('publish');
    release();
    await p;
    assert.deepEqual(d.sessions.get(0)!.published.map((x) => x.payload), ['kept']);
  });

  it('stop() fails queued publishes with a closed error and ends stopped', async () => {
    const r = rig();
    const p = r.link.publish(`${SYS}/messages/up`, Buffer.from('late'), 1);
    await r.link.stop();
    await assert.rejects(p, { code: 'closed' });
    assert.equal(r.link.state, 'stopped');
  });

  it('stop() during connect is bounded and leaves no timer behind', async () => {
    const r = rig();
    const d = new Promise<void>(() => undefined); // the connect never answers
    r.link.connect();
    await reach(r.link, 'opening-port');
    r.drivers[0]?.holds.set('connect', d);
    await reach(r.link, 'connecting');
    await r.link.stop();
    assert.equal(r.link.state, 'stopped');
    assert.ok(r.drivers[0].sessions.get(0)!.calls.includes('close'));
  });
});

describe('LinkSupervisor downlinks', () => {
  it('re-sends the stored answer to a duplicate command and never re-emits it; never de-dups plain messages', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    const session = r.drivers[0].sessions.get(0)!;
    const got: DownlinkMessage[] = [];
    r.link.on('message', (m: DownlinkMessage) => got.push(m));
    const cmdTopic = `${SYS}/commands/request_id=42`;
    const body = Buffer.from('{"service_id":"s","command_name":"LED","paras":{"on":1}}');
    session.emit('message', cmdTopic, body);
    session.emit('message', cmdTopic, body); // duplicate before the answer: dropped
    assert.equal(got.length, 1);
    assert.equal(got[0].requestId, '42');
    assert.equal(got[0].kind, 'command');
    await r.link.publish(`${SYS}/commands/response/request_id=42`, Buffer.from('{"result_code":0}'), 1);
    const resent = once(r.link, 'status');
    session.emit('message', cmdTopic, body); // duplicate after the answer: answer again
    await resent;
    while (session.published.length < 2) await once(r.link, 'status');
    assert.equal(got.length, 1);
    assert.deepEqual(session.published.map((p) => p.topic), [
      `${SYS}/commands/response/request_id=42`,
      `${SYS}/commands/response/request_id=42`,
    ]);
    // Issue 11: {"id":"led1","value":1} then {"id":"led1","value":0} are two messages, and so
    // are two equal bodies: a message body is the application's, with no platform request id.
    session.emit('message', `${SYS}/messages/down`, Buffer.from('{"id":"led1","value":1}'));
    session.emit('message', `${SYS}/messages/down`, Buffer.from('{"id":"led1","value":0}'));
    session.emit('message', `${SYS}/messages/down`, Buffer.from('{"id":"led1","value":0}'));
    session.emit('message', `${SYS}/messages/down`, Buffer.from('plain text'));
    assert.deepEqual(got.map((m) => m.kind), ['command', 'message', 'message', 'message', 'message']);
    assert.deepEqual(got.slice(1, 3).map((m) => m.payload.toString()), ['{"id":"led1","value":1}', '{"id":"led1","value":0}']);
  });

  it('re-initialises the modem after a reboot', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    r.drivers[0].emit('reboot');
    await reach(r.link, 'backoff');
    await reach(r.link, 'online');
    assert.equal(r.drivers.length, 2, 'a fresh transport and driver after the reboot');
    assert.equal(r.drivers[0].closed, true);
    assert.equal(r.drivers[1].inits, 1);
  });
});
