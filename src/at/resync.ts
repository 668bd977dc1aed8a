/**
 * Resync after a timeout or a busy refusal (docs/at-channel.md, timeouts): wait until the
 * modem is quiet, so a late reply is drained, then check it answers `AT` with `OK`. And the
 * two signs of a modem that stopped answering: N command timeouts in a row, or a resync
 * without `OK` ('unresponsive').
 */
import type { ChannelHooks } from './channel';

const DEFAULT_RESYNC_QUIET_MS = 200;
const RESYNC_ATTEMPTS = 3;
const DEFAULT_TIMEOUTS_TO_UNRESPONSIVE = 3;

export class Resync {
  /** Command timeouts since the module last answered a command (final or busy). */
  private timeoutsInARow = 0;
  /** The quiet wait in progress: received bytes restart it, close ends it. */
  private waiting: { restart(): void; end(): void } | undefined;

  constructor(
    private readonly host: ChannelHooks,
    /** Sends `AT` as an internal command; true when it got `OK`. */
    private readonly probe: () => Promise<boolean>,
  ) {}

  received(): void {
    this.waiting?.restart();
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
    const limit = this.host.options.timeoutsToUnresponsive ?? DEFAULT_TIMEOUTS_TO_UNRESPONSIVE;
    if (this.timeoutsInARow < limit) return;
    this.timeoutsInARow = 0;
    this.host.emit('unresponsive', `${limit} command timeouts in a row (the last: ${shown})`);
  }

  /** Ends a wait in progress (the channel closed). */
  cancel(): void {
    this.waiting?.end();
  }

  /** Never rejects: a failure is noted, and the queue goes on. */
  async run(): Promise<void> {
    try {
      await this.attempts();
    } catch (err) {
      this.host.note(`resync failed: ${this.host.errorText(err)}`);
    }
  }

  private async attempts(): Promise<void> {
    const host = this.host;
    for (let attempt = 1; attempt <= RESYNC_ATTEMPTS && !host.isClosed(); attempt++) {
      await this.waitQuiet();
      if (host.isClosed()) return;
      if (await this.probe()) {
        // A second OK (the late reply's and ours) lands here as unsolicited, not in the next command.
        await this.waitQuiet();
        return;
      }
    }
    if (host.isClosed()) return;
    host.note('resync: the modem did not answer AT with OK; continuing');
    host.emit('unresponsive', `no OK to AT in ${RESYNC_ATTEMPTS} resync attempts`);
  }

  /** Resolves after the quiet period without received bytes (capped, so a chatty modem cannot stall the queue). */
  private waitQuiet(): Promise<void> {
    const quiet = this.host.options.resyncQuietMs ?? DEFAULT_RESYNC_QUIET_MS;
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        clearTimeout(cap);
        this.waiting = undefined;
        resolve();
      };
      let timer = setTimeout(end, quiet);
      const cap = setTimeout(end, Math.max(2000, quiet * 10));
      const restart = (): void => {
        clearTimeout(timer);
        timer = setTimeout(end, quiet);
      };
      this.waiting = { restart, end };
    });
  }
}
