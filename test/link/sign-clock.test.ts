/**
 * SignClock (src/link/sign-clock.ts): which clock a sign type 1 login is signed with. Fake drivers
 * stand for modem bring-ups: the network time is read once per bring-up and kept as an offset.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { SignClock, EARLIEST_PLAUSIBLE_UTC } from '../../dist/link/sign-clock';
import { LinkError } from '../../dist/link/errors';
import type { ModemDriver } from '../../dist/modems/driver';

const NET = Date.UTC(2026, 11, 7, 9, 20, 0);
const DAY = 24 * 3_600_000;

/** A driver whose network clock answers `answers` in turn (undefined = no time), counting reads. */
function fakeDriver(answers: (number | undefined)[]): ModemDriver & { reads: number } {
  const d = new EventEmitter() as unknown as ModemDriver & { reads: number };
  d.reads = 0;
  d.networkTime = async () => {
    const utcMs = answers[Math.min(d.reads++, answers.length - 1)];
    return utcMs === undefined ? { answer: '+QLTS: ""' } : { utcMs, answer: 'time' };
  };
  return d;
}

describe('SignClock', () => {
  it('signs with the network time and keeps it as an offset for the same bring-up; a new bring-up reads again', async () => {
    let host = NET - DAY;
    const logs: string[] = [];
    const clock = new SignClock(() => host, (level, text) => logs.push(`${level} ${text}`));
    const first = fakeDriver([NET]);
    assert.deepEqual(await clock.timeFor(first), { now: new Date(NET), source: 'network' });
    assert.ok(logs.some((l) => /^warn the host clock .* by 1440 min/.test(l)), logs.join('\n'));
    host += 90 * 60_000;
    const again = await clock.timeFor(first);
    assert.deepEqual([again.now.getTime(), again.source, first.reads], [NET + 90 * 60_000, 'network', 1]);
    const second = fakeDriver([NET + 2 * DAY]);
    assert.equal((await clock.timeFor(second)).now.getTime(), NET + 2 * DAY);
    assert.equal(second.reads, 1);
  });

  it('without network time: a plausible host clock, read again at the next attempt', async () => {
    const clock = new SignClock(() => NET);
    const d = fakeDriver([undefined, NET + 60_000]);
    assert.deepEqual(await clock.timeFor(d), { now: new Date(NET), source: 'host' });
    // The network's time may come later (NITZ after registration): the next attempt asks again.
    assert.equal((await clock.timeFor(d)).source, 'network');
    assert.equal(d.reads, 2);
  });

  it('an implausible network time (the RTC before NITZ, 1970 before SNTP) is not used', async () => {
    const clock = new SignClock(() => NET);
    assert.equal((await clock.timeFor(fakeDriver([Date.UTC(1980, 0, 6)]))).source, 'host');
    assert.equal((await clock.timeFor(fakeDriver([5000]))).source, 'host');
  });

  it('a driver without a network clock (a custom profile without the query) signs with the host clock', async () => {
    const clock = new SignClock(() => NET);
    assert.equal((await clock.timeFor(new EventEmitter() as unknown as ModemDriver)).source, 'host');
  });

  it('no network time and a host clock before the earliest plausible time: a bad-clock LinkError saying what to do', async () => {
    const clock = new SignClock(() => EARLIEST_PLAUSIBLE_UTC - 1);
    await assert.rejects(clock.timeFor(fakeDriver([undefined])), (err: unknown) => {
      assert.ok(err instanceof LinkError);
      assert.equal(err.code, 'bad-clock');
      assert.equal(err.kind, 'transient');
      assert.match(err.message, /set the host clock \(NTP\) or use sign type 0/);
      return true;
    });
  });
});
