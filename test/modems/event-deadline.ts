/**
 * Bounded waits for events the tests expect. A lost event must fail the one test that waited,
 * fast and naming what never came, instead of hanging the whole file until the runner's timeout.
 * The deadline is a safety net only: under load a healthy wait takes milliseconds to a few seconds.
 */
import { once, type EventEmitter } from 'node:events';

export const EVENT_DEADLINE_MS = 20_000;

/** Rejects with "<what>: nothing within N ms" when `promise` has not settled in time. */
export async function within<T>(promise: Promise<T>, what: string, ms = EVENT_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `events.once` with a deadline; the listener is removed when the deadline passes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- same result type as events.once
export async function onceWithin(emitter: EventEmitter, event: string, ms = EVENT_DEADLINE_MS): Promise<any[]> {
  const abort = new AbortController();
  const name = emitter.constructor?.name ?? 'emitter';
  try {
    return await within(once(emitter, event, { signal: abort.signal }), `no '${event}' event from ${name}`, ms);
  } finally {
    abort.abort();
  }
}
