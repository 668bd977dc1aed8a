/**
 * Hung modem (issue 11 item 3; docs/at-channel.md, unresponsive): N consecutive command timeouts
 * (default 3, ModemManager's rule) or a resync whose AT gets no OK emit 'unresponsive'; a prompt
 * command that times out gets ESC (0x1B) written before the resync's AT.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AtTimeoutError } from '../../dist/at/errors';
import { openChannel, settle, type ChannelFixture } from './channel-fixture';

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
  it('three command timeouts in a row emit unresponsive once (resyncs answered)', async () => {
    const f = await openChannel(FAST);
    try {
      const reasons = collect(f);
      answerOnlyAt(f);
      for (let i = 1; i <= 3; i++) {
        const { error } = await settle(f.channel.command({ template: `AT+QMTPUB=0,${i},1,0,"t","x"` }));
        assert.ok(error instanceof AtTimeoutError);
        assert.equal(reasons.length, i === 3 ? 1 : 0, `after timeout ${i}`);
      }
      assert.match(reasons[0], /3 command timeouts/);
    } finally {
      await f.close();
    }
  });

  it('an answered command between timeouts resets the count; the option sets N', async () => {
    const f = await openChannel({ ...FAST, timeoutsToUnresponsive: 2 });
    try {
      const reasons = collect(f);
      assert.ok((await settle(f.channel.command({ template: 'AT+A' }))).error instanceof AtTimeoutError);
      // The resync AT, answered.
      assert.equal(await f.modem.nextCommand(), 'AT+A');
      assert.equal(await f.modem.nextCommand(), 'AT');
      await f.modem.send('\r\nOK\r\n');
      const b = settle(f.channel.command({ template: 'AT+B' }));
      assert.equal(await f.modem.nextCommand(), 'AT+B');
      await f.modem.send('\r\nERROR\r\n');
      assert.ok((await b).error);
      assert.ok((await settle(f.channel.command({ template: 'AT+C' }))).error instanceof AtTimeoutError);
      assert.deepEqual(reasons, []);
      assert.equal(await f.modem.nextCommand(), 'AT+C');
      assert.equal(await f.modem.nextCommand(), 'AT');
      await f.modem.send('\r\nOK\r\n');
      assert.ok((await settle(f.channel.command({ template: 'AT+D' }))).error instanceof AtTimeoutError);
      assert.equal(reasons.length, 1);
    } finally {
      await f.close();
    }
  });

  it('a resync that gets no OK emits unresponsive after one timeout', async () => {
    const f = await openChannel(FAST);
    try {
      const gotReason = new Promise<string>((resolve) => f.channel.once('unresponsive', resolve));
      assert.ok((await settle(f.channel.command({ template: 'AT+CSQ' }))).error instanceof AtTimeoutError);
      assert.match(await gotReason, /no OK to AT/);
    } finally {
      await f.close();
    }
  });

  it('a prompt command timing out before its > gets ESC before the resync AT', async () => {
    const f = await openChannel(FAST);
    try {
      const p = settle(f.channel.command({ template: 'AT+QMTPUB=0,1,1,0,"t"', prompt: { data: Buffer.from('x') } }));
      assert.equal(await f.modem.nextCommand(), 'AT+QMTPUB=0,1,1,0,"t"');
      const err = (await p).error;
      assert.ok(err instanceof AtTimeoutError && err.phase === 'prompt');
      await f.modem.waitFor(() => f.modem.unread().includes('AT\r'));
      assert.equal(f.modem.unread().toString('latin1'), '\x1bAT\r');
    } finally {
      await f.close();
    }
  });

  it('a prompt command timing out after its data gets ESC before the resync AT', async () => {
    const f = await openChannel(FAST);
    try {
      const p = settle(f.channel.command({ template: 'AT+QMTPUB=0,1,1,0,"t"', prompt: { data: Buffer.from('data') } }));
      await f.modem.nextCommand();
      await f.modem.send('> ');
      assert.equal((await f.modem.readBytes(4)).toString(), 'data');
      assert.ok((await p).error instanceof AtTimeoutError);
      await f.modem.waitFor(() => f.modem.unread().includes('AT\r'));
      assert.equal(f.modem.unread().toString('latin1'), '\x1bAT\r');
    } finally {
      await f.close();
    }
  });

  it('a plain command timing out gets no ESC', async () => {
    const f = await openChannel(FAST);
    try {
      assert.ok((await settle(f.channel.command({ template: 'AT+CSQ' }))).error instanceof AtTimeoutError);
      await f.modem.nextCommand();
      await f.modem.waitFor(() => f.modem.unread().includes('AT\r'));
      assert.equal(f.modem.unread().toString('latin1').startsWith('AT\r'), true);
    } finally {
      await f.close();
    }
  });
});
