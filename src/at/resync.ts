/**
 * Resync after a timeout or a busy refusal (docs/at-channel.md, timeouts): wait until the
 * modem is quiet, so a late reply is drained, then check it answers `AT` with `OK`.
 */

const DEFAULT_RESYNC_QUIET_MS = 200;
const RESYNC_ATTEMPTS = 3;

/** What the resync needs from the channel. */
export interface ResyncHost {
  isClosed(): boolean;
  /** Quiet period that ends the drain (default 200 ms). */
  readonly quietMs: number | undefined;
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

  constructor(private readonly host: ResyncHost) {}

  /** Bytes arrived: the drain starts counting again. */
  received(): void {
    this.lastRxAt = Date.now();
  }

  /** Ends a wait in progress (the channel closed). */
  cancel(): void {
    this.wake?.();
  }

  async run(): Promise<void> {
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
