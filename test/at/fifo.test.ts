import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Fifo } from '../../dist/at/fifo';

describe('Fifo (the AT command queue)', () => {
  it('keeps order across compactions, interleaved pushes and takes', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    // Enough items to pass the compaction threshold several times, with the queue never empty.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.push(next++);
      for (let i = 0; i < 250; i++) out.push(q.shift()!);
    }
    assert.equal(q.length, 50 * 50);
    while (q.length > 0) out.push(q.shift()!);
    assert.deepEqual(out, Array.from({ length: next }, (_, i) => i));
    assert.equal(q.shift(), undefined);
  });

  it('drain() returns what is left, oldest first, and empties the queue', () => {
    const q = new Fifo<string>();
    for (const s of ['a', 'b', 'c', 'd']) q.push(s);
    q.shift();
    assert.deepEqual(q.drain(), ['b', 'c', 'd']);
    assert.equal(q.length, 0);
    q.push('e');
    assert.equal(q.shift(), 'e');
  });
});
