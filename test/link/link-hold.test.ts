import { ModemError } from '../../dist/modems/errors';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useMockClock } from '../mock-clock';
import { DEVICE, reach, reachIn, useLinkRig } from './link-rig';

// hold()/release(), the link side of msg.action "disconnect"/"connect", over the scripted driver.

const UP = `$oc/devices/${DEVICE}/sys/messages/up`;
const rig = useLinkRig();

describe('LinkSupervisor hold', () => {
  it('disconnects politely, queues while held, ignores connect(), and release() flushes in order', async () => {
    const r = rig();
    r.link.connect();
    await r.link.untilOnline();
    const session = r.drivers[0].sessions.get(0)!;
    await r.link.hold();
    assert.equal(r.link.state, 'held');
    assert.ok(session.calls.includes('disconnect'), 'an MQTT DISCONNECT, not just a dropped socket');
    const sent = [r.link.publish(UP, Buffer.from('a'), 1), r.link.publish(UP, Buffer.from('b'), 1)];
    assert.equal(r.link.status.queued, 2);
    r.link.connect(); // a node registering must not end the flow's hold
    assert.equal(r.link.state, 'held');
    // A modem loss while held is not a reason to come back either.
    r.drivers[0].emit('reboot');
    assert.equal(r.link.state, 'held');
    r.link.release();
    await r.link.untilOnline();
    await Promise.all(sent);
    const now = r.drivers.at(-1)!.sessions.get(0)!;
    assert.deepEqual(now.published.map((p) => p.payload), ['a', 'b']);
    assert.equal(r.link.status.queued, 0);
  });

  it('stop() while held, or while a hold is under way, fails the queue and ends stopped', async () => {
    const r = rig();
    r.link.connect();
    await r.link.untilOnline();
    const d = r.drivers[0];
    let release!: () => void;
    d.holds.set('disconnect', new Promise<void>((res) => (release = res)));
    const held = r.link.hold();
    await reach(r.link, 'stopping');
    // Publishes during the hold's DISCONNECT still queue: the flow asked for "down", not "closed".
    const p = r.link.publish(UP, Buffer.from('x'), 1);
    const stopped = r.link.stop();
    release();
    await held;
    await stopped;
    await assert.rejects(p, { code: 'closed' });
    assert.equal(r.link.state, 'stopped');

    const r2 = rig();
    await r2.link.hold(); // from idle: nothing to disconnect
    assert.equal(r2.link.state, 'held');
    const q = r2.link.publish(UP, Buffer.from('y'), 1);
    await r2.link.stop();
    await assert.rejects(q, { code: 'closed' });
    assert.equal(r2.drivers.length, 0, 'the modem was never opened');
  });

  it('hold() during a backoff cancels the retry', async (t) => {
    const clock = useMockClock(t);
    const r = rig();
    r.link.connect();
    await clock.until(r.link.untilOnline(), 'link online');
    const d = r.drivers[0];
    d.failures.set('open', [new Error('open failed')]);
    d.sessions.get(0)!.emit('linkDown', 'dropped');
    await reachIn(clock, r.link, 'backoff');
    const opens = d.sessions.get(0)!.calls.filter((c) => c.startsWith('open')).length;
    await r.link.hold();
    assert.equal(r.link.state, 'held');
    // Waiting for an absence: 50 ms of mocked time is past the cancelled retry timer (at most the
    // rig's 20 ms ceiling); a retry would show as a state change or a new open.
    await clock.advance(50);
    assert.equal(r.link.state, 'held');
    assert.equal(d.sessions.get(0)!.calls.filter((c) => c.startsWith('open')).length, opens);
  });

  it('untilOnline() rejects on a CONNACK 5 halt and when held; release() retries a halted link', async () => {
    const r = rig();
    r.link.connect();
    await r.link.untilOnline();
    const d = r.drivers[0];
    d.failures.set('connect', [new ModemError('AT+QMTCONN', '+QMTCONN: 0,0,5', 'CONNACK 5: not authorised', { kind: 'auth', connack: 5 })]);
    r.link.reconnect();
    await assert.rejects(r.link.untilOnline(), { code: 'auth-failed' });
    assert.equal(r.link.state, 'refused');
    // An explicit connect from the flow is a user request: it tries again, as reconnect() does.
    r.link.release();
    await r.link.untilOnline();
    assert.equal(d.sessions.get(0)!.connects.length, 3);

    d.holds.set('connect', new Promise<void>(() => undefined)); // the next CONNECT never answers
    r.link.reconnect();
    await reach(r.link, 'connecting');
    const waiting = r.link.untilOnline();
    await r.link.hold();
    await assert.rejects(waiting, { code: 'not-connected', message: /disconnected/ });
    await assert.rejects(r.link.untilOnline(), { code: 'not-connected' });
  });
});
