import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { settleWithin } from '../../dist/link/settle-within';
import { useMockClock } from '../mock-clock';

describe('settleWithin', () => {
  it('resolves when the promise resolves, and swallows a rejection', async () => {
    let settled = false;
    await settleWithin(Promise.resolve(1), 60_000).then(() => (settled = true));
    assert.equal(settled, true);
    await assert.doesNotReject(settleWithin(Promise.reject(new Error('modem gone')), 60_000));
  });

  it('gives up on a promise that never settles after the limit', async (t) => {
    const { until } = useMockClock(t);
    const started = Date.now();
    await until(settleWithin(new Promise(() => undefined), 30), 'settleWithin');
    assert.ok(Date.now() - started >= 25, 'waited for the limit');
  });
});
