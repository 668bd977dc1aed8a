/**
 * The connection state machine of one IoTDA device session over a shared modem. Every state
 * change goes through `go()`, which asks the table in link-states.ts and logs the move with its
 * reason. It never gives up: every failure leads to `backoff` and a new attempt with fresh
 * credentials (the password is an HMAC of the current hour), except a CONNACK 4/5 refusal
 * (`refused`), which waits for a config change or an explicit `reconnect()` because retrying
 * a wrong secret only gets the device flagged.
 */
import { LinkError } from './errors';
import { ACTIVE_STATES } from './link-states';
import { LinkSession, type LinkStatus } from './link-session';
import { settleWithin } from './settle-within';

export type { LinkState } from './link-states';
export type { DownlinkMessage } from './downlink-router';
export type { LinkStatus, LinkSupervisorOptions } from './link-session';
export type { PublishOptions } from './link-queue';
export { PROBE_TIMEOUTS_TO_LOSE, isAtTimeout } from './idle-probe';

/**
 * Events:
 * - `status` (LinkStatus): every state or step change, and queue length changes.
 * - `message` (DownlinkMessage): a downlink that is not a re-sent request.
 */
export class LinkSupervisor extends LinkSession {
  private stopping: Promise<void> | undefined;
  /** Where the take-down in `stopping` ends: `held` keeps the offline queue, `stopped` settles it. */
  private downTo: 'held' | 'stopped' = 'stopped';
  private onlineWaiter: Promise<void> | undefined;

  protected isStoppedForGood(): boolean {
    return this.current.state === 'stopped' || (this.current.state === 'stopping' && this.downTo === 'stopped');
  }

  /** Starts connecting unless already up, on the way, held or refused; safe to call any number of times. */
  connect(): void {
    const s = this.current.state;
    // A hold is the flow's decision and a refusal needs a changed config: only release()/reconnect() end them.
    if (ACTIVE_STATES.has(s) || s === 'stopping' || s === 'held' || s === 'refused') return;
    if (s === 'backoff' && this.retryTimer) return;
    this.start();
  }

  /**
   * Ends a hold, a refusal or the long wait after take-overs and connects (msg.action "connect",
   * an explicit request); otherwise connect().
   */
  release(): void {
    const s = this.current;
    if (s.state === 'held' || s.state === 'refused' || (s.state === 'backoff' && s.takenOver)) this.start();
    else this.connect();
  }

  /** Disconnects politely (bounded, like stop()) and stays down in `held`: publishes keep queueing. */
  hold(): Promise<void> {
    if (this.stopping) return this.stopping;
    const s = this.current.state;
    if (s === 'held') return Promise.resolve();
    if (s === 'idle' || s === 'stopped' || s === 'backoff' || s === 'refused') {
      this.epoch++;
      this.clearRetry();
      this.dropSession();
      this.go('hold');
      return Promise.resolve();
    }
    return this.takeDown('held');
  }

  /** Resolves once online; rejects when the attempt ends elsewhere than in a retry: refused, held or stopped. */
  untilOnline(): Promise<void> {
    const ended = (s: LinkStatus): Error | undefined => {
      if (s.state === 'refused') return new LinkError('auth-failed', s.reason ?? 'IoTDA refused the login');
      if (s.state === 'held' || s.state === 'stopped' || s.state === 'stopping') {
        const held = s.state === 'held' || (s.state === 'stopping' && this.downTo === 'held');
        return new LinkError('not-connected', `the connection was ${held ? 'disconnected' : 'closed'} before it came online`);
      }
      return undefined;
    };
    if (this.current.state === 'online') return Promise.resolve();
    const now = ended(this.current);
    if (now) return Promise.reject(now);
    // One listener however many callers wait (a flow can send many msg.action while offline).
    this.onlineWaiter ??= new Promise<void>((resolve, reject) => {
      const on = (s: LinkStatus) => {
        const err = s.state === 'online' ? undefined : ended(s);
        if (s.state !== 'online' && !err) return;
        this.off('status', on);
        this.onlineWaiter = undefined;
        if (err) reject(err);
        else resolve();
      };
      this.on('status', on);
    });
    return this.onlineWaiter;
  }

  /** Starts a fresh attempt now, also after a refusal (an explicit user request). */
  reconnect(): void {
    if (this.current.state === 'stopping') return;
    this.epoch++;
    this.dropSession();
    this.backoff.reset();
    this.takeovers.reset();
    this.start();
  }

  /**
   * Disconnects politely (bounded) and ends in `stopped`; the queued reports fail with `closed`
   * unless `handOver` is set, when they are kept for takeQueue(). Concurrent calls share one stop.
   */
  stop(opts: { handOver?: boolean } = {}): Promise<void> {
    if (this.stopping) {
      // A hold in progress ends in `held`; the stop follows it so the queue is still settled.
      return this.downTo === 'stopped' ? this.stopping : this.stopping.then(() => this.stop(opts));
    }
    const s = this.current.state;
    if (s === 'stopped' || s === 'idle' || s === 'held') {
      this.clearRetry();
      if (!opts.handOver) this.failQueued();
      if (s !== 'stopped') this.go('stopped');
      return Promise.resolve();
    }
    return this.takeDown('stopped', opts.handOver);
  }

  /** Shared by stop() and hold(); concurrent calls share one take-down. */
  private takeDown(end: 'stopped' | 'held', handOver = false): Promise<void> {
    this.downTo = end;
    this.stopping = this.doStop(end, handOver).finally(() => {
      this.stopping = undefined;
      this.downTo = 'stopped';
    });
    return this.stopping;
  }

  private async doStop(end: 'stopped' | 'held', handOver: boolean): Promise<void> {
    const wasOnline = this.current.state === 'online';
    this.epoch++;
    this.clearRetry();
    this.probe.stop();
    this.go('take-down');
    this.unbindSession?.();
    this.unbindSession = undefined;
    const session = this.session;
    this.session = undefined;
    const limit = this.opts.disconnectTimeoutMs ?? 10000;
    if (session && this.opts.modem.current) {
      const bye = wasOnline ? session.disconnect().catch(() => session.close()) : session.close();
      await settleWithin(bye, limit);
    }
    // The publish in flight settles (confirmed, or back in the queue) before the queue is settled.
    await settleWithin(this.pump.idle(), limit);
    if (end === 'stopped' && !handOver) this.failQueued();
    this.go(end);
  }

  /** Stops and detaches from the modem for good. */
  async dispose(opts: { handOver?: boolean } = {}): Promise<void> {
    await this.stop(opts);
    this.opts.modem.off('lost', this.onModemLost);
    this.removeAllListeners('message');
  }
}
