/**
 * Sends the offline queue over the session while the link is online, one report at a time,
 * in order, at most `ratePerSecond` (IoTDA accepts about 50 uplinks per second per device and
 * drops the rest without telling the device, so a backlog flushed at line speed is mostly lost).
 *
 * A failure is classified by its kind, never by its text:
 * - transient: the report goes back to the head of the queue and the supervisor is told, which
 *   checks the link (a refusal can come before the modem's own link-loss URC);
 * - permanent or auth: the report fails (done(err) in the flow);
 * - after `maxAttempts` failed publishes the report fails too, saying so, so one poison report
 *   (say, one that makes the broker close the connection) cannot block the queue forever.
 */
import type { MqttSession } from '../modems/driver';
import { LinkError, errorKind, messageOf } from './errors';
import type { OfflineQueue, QueuedPublish } from './offline-queue';

export interface PumpHost {
  readonly queue: OfflineQueue;
  /** The session and epoch to publish on, while the link is online; else undefined. */
  onlineSession(): { session: MqttSession; epoch: number } | undefined;
  /** The modem confirmed the report. */
  confirmed(item: QueuedPublish): void;
  /** The report failed for good. */
  failed(item: QueuedPublish, err: Error): void;
  /** A publish failed transiently while the link looked online: the link may be gone. */
  suspect(epoch: number, err: unknown): void;
  log(level: 'info' | 'warn', text: string): void;
}

export interface PumpOptions {
  /** Most publishes started per second (default 40; 0 = unpaced). */
  ratePerSecond?: number;
  /** Publishes of one report that may fail transiently before it is given up (default 5). */
  maxAttempts?: number;
}


export class QueuePump {
  private running: Promise<void> | undefined;
  private lastStart = 0;
  private paceTimer: NodeJS.Timeout | undefined;
  private wakePace: (() => void) | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  /** When the modem last confirmed a publish: proof of life for the idle probe. */
  lastConfirmedAt = 0;
  readonly intervalMs: number;
  readonly maxAttempts: number;

  constructor(
    private readonly host: PumpHost,
    opts: PumpOptions = {},
  ) {
    const rate = opts.ratePerSecond ?? 40;
    this.intervalMs = rate > 0 ? 1000 / rate : 0;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  }

  /** True while a publish is on its way or the pump is pacing. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Starts sending when the link is online and there is work; a no-op while already sending. */
  kick(): void {
    if (this.running || this.pauseTimer) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      // Work that arrived while the last loop was ending.
      if (!this.pauseTimer && this.host.onlineSession() && this.host.queue.length > 0) this.kick();
    });
  }

  /** Sends nothing for `ms` (after a suspicious failure, so a link loss can show up first), then goes on. */
  pause(ms: number): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      this.kick();
    }, ms);
  }

  /** Ends a pause (a new session is up). */
  resume(): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.kick();
  }

  /** Resolves when the publish in flight (if any) has settled. */
  idle(): Promise<void> {
    this.wakePace?.();
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    for (;;) {
      if (!this.host.onlineSession() || this.host.queue.length === 0) return;
      await this.pace();
      const on = this.host.onlineSession();
      if (!on) return;
      const item = this.host.queue.shift();
      if (!item) return;
      this.lastStart = Date.now();
      try {
        await on.session.publish(item.topic, item.payload, item.qos);
      } catch (err) {
        if (!this.onFailure(item, err, on.epoch)) return;
        continue;
      }
      this.lastConfirmedAt = Date.now();
      this.host.confirmed(item);
    }
  }

  /** Waits until the next publish may start under the rate limit (cut short by idle()). */
  private pace(): Promise<void> {
    const wait = this.lastStart + this.intervalMs - Date.now();
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakePace = () => {
        clearTimeout(this.paceTimer);
        this.wakePace = undefined;
        resolve();
      };
      this.paceTimer = setTimeout(this.wakePace, wait);
    });
  }

  /** Settles or re-queues a failed report; true when the pump may go on with the next one. */
  private onFailure(item: QueuedPublish, err: unknown, epoch: number): boolean {
    const kind = errorKind(err);
    const error = err instanceof Error ? err : new Error(String(err));
    if (kind !== 'transient') {
      this.host.failed(item, error);
      return true;
    }
    item.attempts++;
    if (item.attempts >= this.maxAttempts) {
      this.host.log('warn', `gave up a report for ${item.topic} after ${item.attempts} failed publishes: ${messageOf(err)}`);
      this.host.failed(
        item,
        new LinkError('attempts-exhausted', `the report failed on each of its ${item.attempts} publish attempts; last: ${messageOf(err)}`, {
          cause: err,
          attempts: item.attempts,
        }),
      );
      return true;
    }
    this.host.queue.unshift(item);
    // Still the session it failed on: the supervisor checks the link. Otherwise the link was
    // lost (and maybe is back) meanwhile, and the report simply goes out on the current session.
    if (this.host.onlineSession()?.epoch !== epoch) return true;
    this.host.suspect(epoch, err);
    return false;
  }
}
