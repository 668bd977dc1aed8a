/**
 * Exponential reconnect delay between a floor and a ceiling. Deterministic (no jitter):
 * one gateway reconnects one device, so there is no herd to spread, and tests can predict it.
 */
export class ReconnectBackoff {
  private failures = 0;

  constructor(
    readonly floorMs: number,
    readonly ceilingMs: number,
  ) {
    if (!(floorMs > 0) || !(ceilingMs >= floorMs)) {
      throw new RangeError(`backoff needs 0 < floor <= ceiling, got ${floorMs}..${ceilingMs}`);
    }
  }

  /** The delay before the next attempt; each call doubles the following one up to the ceiling. */
  next(): number {
    const delay = Math.min(this.ceilingMs, this.floorMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return delay;
  }

  /** After a successful connect the next loss starts again at the floor. */
  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
