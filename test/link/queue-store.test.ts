import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueStore } from '../../dist/link/queue-store';
import { within } from '../modems/event-deadline';
import { DEVICE, holdPublish, reach, useLinkRig } from './link-rig';

const UP = `$oc/devices/${DEVICE}/sys/properties/report`;
const rig = useLinkRig();
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'iotda-at-queue-'));

describe('persistent offline queue', () => {
  it('reports queued in one run are sent by the next run (restart or power cut), in order', async () => {
    const file = path.join(tmp(), 'c1.jsonl');
    const first = rig({ store: new QueueStore(file, () => undefined) });
    // Never connected: the process "dies" with three reports queued (no stop, no hand-over).
    for (const n of [1, 2, 3]) first.link.publish(UP, Buffer.from(`{"n":${n}}`), 1, { owner: 'p1' }).catch(() => undefined);
    assert.equal(first.link.status.queued, 3);

    const warnings: string[] = [];
    const second = rig({ store: new QueueStore(file, (t) => warnings.push(t)) });
    assert.equal(second.link.status.queued, 3, 'restored from the store');
    const after = second.link.publish(UP, Buffer.from('{"n":4}'), 1, { owner: 'p1' });
    second.link.connect();
    await after;
    assert.deepEqual(second.drivers[0].sessions.get(0)!.published.map((p) => p.payload), ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    assert.deepEqual(warnings, []);
    // Sent reports leave the store: a third run has nothing to send.
    const third = rig({ store: new QueueStore(file, () => undefined) });
    assert.equal(third.link.status.queued, 0);
  });

  it('a corrupt store gives a warning, keeps the readable reports and never crashes', async () => {
    const file = path.join(tmp(), 'c1.jsonl');
    const good = JSON.stringify({ a: 1, t: UP, p: Buffer.from('{"ok":1}').toString('base64'), q: 1, o: 'p1' });
    fs.writeFileSync(file, `garbage\u0000\u0001\n${good}\n{"a":2,"t":"x","p":"trunc`);
    const warnings: string[] = [];
    const r = rig({ store: new QueueStore(file, (t) => warnings.push(t)) });
    assert.equal(r.link.status.queued, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /skipped 2 unreadable line/);
    r.link.connect();
    await reach(r.link, 'online');
    await r.link.publish(UP, Buffer.from('{"ok":2}'), 1);
    assert.deepEqual(r.drivers[0].sessions.get(0)!.published.map((p) => p.payload), ['{"ok":1}', '{"ok":2}']);
  });

  it('an unwritable store gives one warning and the queue works in memory', async () => {
    const blocker = path.join(tmp(), 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const warnings: string[] = [];
    const r = rig({ store: new QueueStore(path.join(blocker, 'c1.jsonl'), (t) => warnings.push(t)) });
    const p = r.link.publish(UP, Buffer.from('{"m":1}'), 1);
    const q = r.link.publish(UP, Buffer.from('{"m":2}'), 1);
    r.link.connect();
    await Promise.all([p, q]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /kept in memory only/);
  });
});

describe('offline queue bounds and hand-over', () => {
  it('a byte budget per connection drops the oldest reports and refuses one larger than the budget', async () => {
    const r = rig({ queueBytes: 3 * (UP.length + 40) });
    const body = (c: string) => Buffer.from(c.repeat(40));
    const first = r.link.publish(UP, body('a'), 1, { owner: 'p1' });
    const kept = ['b', 'c', 'd'].map((c) => r.link.publish(UP, body(c), 1, { owner: 'p1' }));
    await assert.rejects(first, { code: 'queue-full', byteBudget: 3 * (UP.length + 40) });
    await assert.rejects(r.link.publish(UP, Buffer.alloc(500, 0x41), 1, { owner: 'p1' }), { code: 'queue-full' });
    assert.equal(r.link.queuedBytes, 3 * (UP.length + 40));
    r.link.connect();
    await Promise.all(kept);
  });

  it('stop() settles a publish that was in flight', async () => {
    const r = rig();
    r.link.connect();
    await reach(r.link, 'online');
    const d = r.drivers[0];
    const release = holdPublish(d, new Error('the port closed'));
    const p = r.link.publish(UP, Buffer.from('in flight'), 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const stopped = r.link.stop();
    release();
    await stopped;
    await within(assert.rejects(p, { code: 'closed' }), 'the in-flight publish settles');
  });

  it('stop({ handOver }) keeps the queue for a successor, which sends it in order before its own reports', async () => {
    const a = rig();
    const outcomes: string[] = [];
    for (const n of [1, 2]) a.link.publish(UP, Buffer.from(`${n}`), 1, { owner: 'p1' }).then(() => outcomes.push(`ok ${n}`), (e) => outcomes.push(`err ${n} ${e.code}`));
    await a.link.stop({ handOver: true });
    const items = a.link.takeQueue();
    assert.equal(items.length, 2);
    const b = rig();
    b.link.adopt(items);
    const own = b.link.publish(UP, Buffer.from('3'), 1, { owner: 'p1' });
    b.link.connect();
    await own;
    assert.deepEqual(b.drivers[0].sessions.get(0)!.published.map((p) => p.payload), ['1', '2', '3']);
    assert.deepEqual(outcomes, ['ok 1', 'ok 2'], "the predecessor's callers hear the outcome");
  });

  it('many waiters for the link share one status listener (msg.action while offline)', async () => {
    const r = rig();
    r.link.connect(); // on its way: the waiters below wait for it
    const before = r.link.listenerCount('status');
    const waits = Array.from({ length: 15 }, () => r.link.untilOnline());
    assert.ok(r.link.listenerCount('status') <= before + 1, `listeners: ${r.link.listenerCount('status')}`);
    await Promise.all(waits);
  });
});
