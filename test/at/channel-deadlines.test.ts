/**
 * AtChannel deadlines (command in flight + URC waits of two-phase commands): each fires at its
 * own time whichever was armed first, and an idle channel keeps no referenced timer (it would
 * hold the process open). The deadline tests run on mocked time (`until` moves the clock); the
 * referenced-timer test stays on real timers, which are what it counts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AtTimeoutError } from '../../dist/at/errors';
import { useMockClock } from '../mock-clock';
import { openChannel, settle } from './channel-fixture';

/** Referenced timers alive in this process (unref'd ones are not listed). */
function refedTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('AtChannel deadlines', () => {
  it('a short URC wait times out while a command with a long deadline is in flight', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel();
    try {
      const sub = settle(f.channel.command({ template: 'AT+QMTSUB=0,1,"t",1', awaitUrc: { pattern: /^\+QMTSUB: 0,1,/, timeoutMs: 60 } }));
      await f.modem.nextCommand();
      await f.modem.send('\r\nOK\r\n');
      // The next command's deadline (10 s) is later than the URC wait's: the wait must not be pushed back.
      const csq = f.channel.command({ template: 'AT+CSQ', responsePrefixes: ['+CSQ:'], timeoutMs: 10000 });
      assert.equal(await f.modem.nextCommand(), 'AT+CSQ');
      const started = Date.now();
      const { error } = await until(sub, 'the URC wait');
      assert.ok(error instanceof AtTimeoutError && error.phase === 'urc', `expected a urc timeout, got ${String(error)}`);
      assert.ok(Date.now() - started < 2000, 'the URC wait fired near its own deadline');
      await f.modem.send('\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
      assert.deepEqual((await until(csq, 'AT+CSQ')).lines, ['+CSQ: 20,99'], 'the command in flight is unaffected');
    } finally {
      await f.close();
    }
  });

  it('a short command deadline fires while a long URC wait is pending, and the wait still completes', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel({ resyncQuietMs: 20 });
    try {
      const open = f.channel.command({ template: 'AT+QMTOPEN=0', awaitUrc: { pattern: /^\+QMTOPEN: 0,(\d+)/, timeoutMs: 10000 } });
      await f.modem.nextCommand();
      await f.modem.send('\r\nOK\r\n');
      const slow = settle(f.channel.command({ template: 'AT+SLOW', timeoutMs: 60 }));
      await f.modem.nextCommand();
      const { error } = await until(slow, 'AT+SLOW');
      assert.ok(error instanceof AtTimeoutError && error.phase === 'final', `expected a final timeout, got ${String(error)}`);
      await f.modem.send('\r\n+QMTOPEN: 0,0\r\n');
      const r = await until(open, 'the open URC');
      assert.equal(r.urcMatch?.[1], '0');
      // The timeout started a resync (`AT`): answer it so close() finds nothing pending.
      assert.equal(await until(f.modem.nextCommand(), 'the resync AT'), 'AT');
      await f.modem.send('\r\nOK\r\n');
    } finally {
      await f.close();
    }
  });

  it('an idle channel holds no referenced timer, a busy one does', async () => {
    const f = await openChannel();
    try {
      const before = refedTimers();
      const p = f.channel.command({ template: 'AT' });
      await f.modem.nextCommand();
      assert.equal(refedTimers(), before + 1, 'the deadline timer holds the process while a command is in flight');
      await f.modem.send('\r\nOK\r\n');
      await p;
      // The queue release runs in a microtask after the final.
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.equal(refedTimers(), before, 'no referenced timer left once idle');
      const sub = f.channel.command({ template: 'AT+QMTSUB=0,2,"t",1', awaitUrc: { pattern: /^\+QMTSUB: 0,2,/, timeoutMs: 5000 } });
      await f.modem.nextCommand();
      await f.modem.send('\r\nOK\r\n');
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.equal(refedTimers(), before + 1, 'a pending URC wait keeps the timer referenced');
      await f.modem.send('\r\n+QMTSUB: 0,2,0,1\r\n');
      await sub;
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.equal(refedTimers(), before, 'released once the URC arrived');
    } finally {
      await f.close();
    }
  });
});
