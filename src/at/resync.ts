/**
 * Resync after a timeout or a busy refusal (docs/at-channel.md, timeouts): wait until the
 * modem is quiet, so a late reply is drained, then check it answers `AT` with `OK`. And the
 * two signs of a modem that stopped answering: N command timeouts in a row, or a resync
 * without `OK` ('unresponsive').
 */

const DEFAULT_RESYNC_QUIET_MS = 200;
const RESYNC_ATTEMPTS = 3;
const DEFAULT_TIMEOUTS_TO_UNRESPONSIVE = 3;

/** What the resync needs from the channel. */
export interface ResyncHost {
  isClosed(): boolean;
  /** Quiet period that ends the drain (default 200 ms). */
  readonly quietMs: number | undefined;
  readonly timeoutsToUnresponsive: number | undefined;
  /** Sends `AT` as an internal command; true when it got `OK`. */
  probe(): Promise<boolean>;
  note(text: string): void;
  emit(event: string, arg: unknown): void;
}

export class Resync {
  /** When the last bytes arrived during the drain (ms since epoch). */
  private lastRxAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Ends the current quiet wait at once (on close). */
  private wake: (() => void) | undefined;
  /** Command timeouts since the module last answered a command (final or busy). */
  private timeoutsInARow = 0;

  constructor(private readonly host: ResyncHost) {}

  /** Bytes arrived: the drain starts counting again. */
  received(): void {
    this.lastRxAt = Date.now();
  }

  /**
   * The module answered a command of the caller's (a final or busy). The resync's own `AT`
   * does not count: a module can answer AT and still time out on every command.
   */
  answered(): void {
    this.timeoutsInARow = 0;
  }

  /** ModemManager's rule: N command timeouts in a row mean the modem no longer answers. */
  timedOut(shown: string): void {
    this.timeoutsInARow++;
    const limit = this.host.timeoutsToUnresponsive ?? DEFAULT_TIMEOUTS_TO_UNRESPONSIVE;
    if (this.timeoutsInARow < limit) return;
    this.timeoutsInARow = 0;
    this.host.emit('unresponsive', `${limit} command timeouts in a row (the last: ${shown})`);
  }

  /** Ends a wait in progress (the channel closed). */
  cancel(): void {
    this.wake?.();
  }

  /** Never rejects: a failure is noted, and the queue goes on. */
  async run(): Promise<void> {
    try {
      await this.attempts();
    } catch (err) {
      this.host.note(`resync failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async attempts(): Promise<void> {
    const host = this.host;
    for (let attempt = 1; attempt <= RESYNC_ATTEMPTS && !host.isClosed(); attempt++) {
      await this.waitQuiet();
      if (host.isClosed()) return;
      if (await host.probe()) {
        // A second OK (the late reply's and ours) lands here as unsolicited, not in the next command.
        await this.waitQuiet();
        return;
      }
    }
    if (host.isClosed()) return;
    host.note('resync: the modem did not answer AT with OK; continuing');
    host.emit('unresponsive', `no OK to AT in ${RESYNC_ATTEMPTS} resync attempts`);
  }

  /** Resolves after the quiet period without received bytes (bounded, so a chatty modem cannot stall the queue). */
  private waitQuiet(): Promise<void> {
    const quiet = this.host.quietMs ?? DEFAULT_RESYNC_QUIET_MS;
    const deadline = Date.now() + Math.max(2000, quiet * 10);
    // The drain counts from now: only bytes from here on can postpone it.
    this.lastRxAt = Date.now();
    return new Promise((resolve) => {
      const done = () => {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      };
      const check = () => {
        const now = Date.now();
        const idleFor = now - this.lastRxAt;
        if (this.host.isClosed() || idleFor >= quiet || now >= deadline) done();
        else this.timer = setTimeout(check, Math.min(quiet - idleFor, deadline - now) + 1);
      };
      this.wake = done;
      this.timer = setTimeout(check, quiet);
    });
  }
}
