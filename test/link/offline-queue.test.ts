import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OfflineQueue, type QueuedPublish } from '../../dist/link/offline-queue';

const item = (owner: string, body = 'x'): QueuedPublish => ({ topic: 't', payload: Buffer.from(body), qos: 1, owner, attempts: 0, resolve: () => undefined, reject: () => undefined });

describe('OfflineQueue', () => {
  it('keeps counts per owner and bytes as it changes (push, shift, unshift, drain)', () => {
    const q = new OfflineQueue();
    q.push(item('a', 'aa'), 10);
    q.push(item('b', 'bbb'), 10);
    q.push(item('a', 'a'), 10);
    assert.deepEqual([q.length, q.countOf('a'), q.countOf('b'), q.bytes], [3, 2, 1, 2 + 3 + 1 + 3]);
    const first = q.shift()!;
    assert.deepEqual([q.length, q.countOf('a'), q.bytes], [2, 1, 3 + 1 + 2]);
    q.unshift(first);
    assert.equal(q.peek(), first);
    assert.deepEqual(q.drain('a').map((i) => i.payload.toString()), ['aa', 'a']);
    assert.deepEqual([q.length, q.countOf('a'), q.countOf('b'), q.bytes], [1, 0, 1, 4]);
  });

  it('100 000 reports go in and out in linear time (counts are not recomputed per push)', () => {
    const q = new OfflineQueue();
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) q.push(item(i % 2 ? 'a' : 'b'), 1_000_000);
    while (q.shift());
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // Counting the owner's items on each push made this 5e9 steps (minutes); linear is milliseconds.
    assert.ok(ms < 2000, `${ms} ms`);
    assert.equal(q.length, 0);
  });
});
