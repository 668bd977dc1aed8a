/**
 * Test-controlled time for tests of time rules (backoff, idle probe, AT deadlines): node:test's
 * mock timers for setTimeout, setInterval and Date, plus the waits such a test needs, so that it
 * moves time forward instead of sleeping.
 *
 * Only timers and the clock are mocked. setImmediate, process.nextTick and I/O stay real: a
 * settle() is a few real event-loop turns in which no mocked time passes, so stream 'data'
 * events and promise chains run between two ticks. Node 20's mocked timers ignore unref() and
 * refresh(); tests of which timers are referenced stay on real timers.
 */
import type { TestContext } from 'node:test';

/** Real event-loop turns per settle(): enough for a pipe write to reach the other end and the awaits behind it. */
const SETTLE_TURNS = 5;

export interface MockClock {
  /** Lets pending I/O, next-ticks and promise chains run; mocked time does not move. */
  settle(turns?: number): Promise<void>;
  /** Moves mocked time forward by `ms`, `step` ms at a time, settling after each step. */
  advance(ms: number, step?: number): Promise<void>;
  /**
   * Resolves or rejects as `promise` does, moving mocked time forward `step` ms at a time while
   * it is pending; fails naming `what` when `maxMs` of mocked time pass without it settling.
   */
  until<T>(promise: Promise<T>, what: string, maxMs?: number, step?: number): Promise<T>;
  /** The mocked Date.now(). */
  now(): number;
}

/**
 * Enables mock timers for this test (node:test restores the real ones when it ends). The mocked
 * clock starts at the real current time: code that compares Date.now() with "never" (0) must
 * see a clock far past it, as it would in production.
 */
export function useMockClock(t: TestContext, now = Date.now()): MockClock {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now });
  const settle = async (turns = SETTLE_TURNS) => {
    for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const advance = async (ms: number, step = 1) => {
    await settle();
    for (let passed = 0; passed < ms; passed += step) {
      t.mock.timers.tick(Math.min(step, ms - passed));
      await settle();
    }
  };
  const until = async <T>(promise: Promise<T>, what: string, maxMs = 10_000, step = 1): Promise<T> => {
    let done = false;
    promise.then(
      () => (done = true),
      () => (done = true),
    );
    await settle();
    for (let passed = 0; !done; passed += step) {
      if (passed >= maxMs) throw new Error(`${what}: nothing within ${maxMs} ms of mocked time`);
      t.mock.timers.tick(step);
      await settle();
    }
    return promise;
  };
  return { settle, advance, until, now: () => Date.now() };
}
