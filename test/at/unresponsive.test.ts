/**
 * Hung modem (issue 11 item 3; docs/at-channel.md, unresponsive): N consecutive command timeouts
 * (default 3, ModemManager's rule) or a resync whose AT gets no OK emit 'unresponsive'; a prompt
 * command that times out gets ESC (0x1B) written before the resync's AT.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AtTimeoutError } from '../../dist/at/errors';
import { useMockClock } from '../mock-clock';
import { openChannel, settle, type ChannelFixture } from './channel-fixture';

// Time is mocked: `until` moves the clock through the deadlines and quiet periods while it waits.
const FAST = { defaultTimeoutMs: 40, resyncQuietMs: 5 };

/** Answers each resync `AT` with OK and nothing else: a modem alive for AT that never finishes other commands. */
function answerOnlyAt(f: ChannelFixture): void {
  let stopped = false;
  void (async () => {
    while (!stopped && !f.channel.isClosed) {
      let line: string;
      try {
        line = await f.modem.nextCommand();
      } catch {
        continue;
      }
      if (line === 'AT') await f.modem.send('\r\nOK\r\n');
    }
  })();
  f.channel.once('close', () => (stopped = true));
}

function collect(f: ChannelFixture): string[] {
  const reasons: string[] = [];
  f.channel.on('unresponsive', (r: string) => reasons.push(r));
  return reasons;
}

describe('AtChannel unresponsive', () => {
  it('three command timeouts in a row emit unresponsive once (resyncs answered)', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel(FAST);
    try {
      const reasons = collect(f);
      answerOnlyAt(f);
      for (let i = 1; i <= 3; i++) {
        const { error } = await until(settle(f.channel.command({ template: `AT+QMTPUB=0,${i},1,0,"t","x"` })), `publish ${i}`);
        assert.ok(error instanceof AtTimeoutError);
        assert.equal(reasons.length, i === 3 ? 1 : 0, `after timeout ${i}`);
      }
      assert.match(reasons[0], /3 command timeouts/);
    } finally {
      await f.close();
    }
  });

  it('an answered command between timeouts resets the count; the option sets N', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel({ ...FAST, timeoutsToUnresponsive: 2 });
    try {
      const reasons = collect(f);
      assert.ok((await until(settle(f.channel.command({ template: 'AT+A' })), 'the command')).error instanceof AtTimeoutError);
      // The resync AT, answered.
      assert.equal(await until(f.modem.nextCommand(), 'a command line'), 'AT+A');
      assert.equal(await until(f.modem.nextCommand(), 'a command line'), 'AT');
      await f.modem.send('\r\nOK\r\n');
      const b = settle(f.channel.command({ template: 'AT+B' }));
      assert.equal(await until(f.modem.nextCommand(), 'a command line'), 'AT+B');
      await f.modem.send('\r\nERROR\r\n');
      assert.ok((await until(b, 'AT+B')).error);
      assert.ok((await until(settle(f.channel.command({ template: 'AT+C' })), 'the command')).error instanceof AtTimeoutError);
      assert.deepEqual(reasons, []);
      assert.equal(await until(f.modem.nextCommand(), 'a command line'), 'AT+C');
      assert.equal(await until(f.modem.nextCommand(), 'a command line'), 'AT');
      await f.modem.send('\r\nOK\r\n');
      assert.ok((await until(settle(f.channel.command({ template: 'AT+D' })), 'the command')).error instanceof AtTimeoutError);
      assert.equal(reasons.length, 1);
    } finally {
      await f.close();
    }
  });

  it('a resync that gets no OK emits unresponsive after one timeout', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel(FAST);
    try {
      const gotReason = new Promise<string>((resolve) => f.channel.once('unresponsive', resolve));
      assert.ok((await until(settle(f.channel.command({ template: 'AT+CSQ' })), 'the command')).error instanceof AtTimeoutError);
      assert.match(await until(gotReason, 'unresponsive'), /no OK to AT/);
    } finally {
      await f.close();
    }
  });

  it('a prompt command timing out before its > gets ESC before the resync AT', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel(FAST);
    try {
      const p = settle(f.channel.command({ template: 'AT+QMTPUB=0,1,1,0,"t"', prompt: { data: Buffer.from('x') } }));
      assert.equal(await until(f.modem.nextCommand(), 'a command line'), 'AT+QMTPUB=0,1,1,0,"t"');
      const err = (await until(p, 'the command')).error;
      assert.ok(err instanceof AtTimeoutError && err.phase === 'prompt');
      await until(f.modem.waitFor(() => f.modem.unread().includes('AT\r')), 'the resync AT');
      assert.equal(f.modem.unread().toString('latin1'), '\x1bAT\r');
    } finally {
      await f.close();
    }
  });

  it('a prompt command timing out after its data gets ESC before the resync AT', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel(FAST);
    try {
      const p = settle(f.channel.command({ template: 'AT+QMTPUB=0,1,1,0,"t"', prompt: { data: Buffer.from('data') } }));
      await until(f.modem.nextCommand(), 'a command line');
      await f.modem.send('> ');
      assert.equal((await until(f.modem.readBytes(4), 'the data')).toString(), 'data');
      assert.ok((await until(p, 'the command')).error instanceof AtTimeoutError);
      await until(f.modem.waitFor(() => f.modem.unread().includes('AT\r')), 'the resync AT');
      assert.equal(f.modem.unread().toString('latin1'), '\x1bAT\r');
    } finally {
      await f.close();
    }
  });

  it('a plain command timing out gets no ESC', async (t) => {
    const { until } = useMockClock(t);
    const f = await openChannel(FAST);
    try {
      assert.ok((await until(settle(f.channel.command({ template: 'AT+CSQ' })), 'the command')).error instanceof AtTimeoutError);
      await until(f.modem.nextCommand(), 'a command line');
      await until(f.modem.waitFor(() => f.modem.unread().includes('AT\r')), 'the resync AT');
      assert.equal(f.modem.unread().toString('latin1').startsWith('AT\r'), true);
    } finally {
      await f.close();
    }
  });
});
