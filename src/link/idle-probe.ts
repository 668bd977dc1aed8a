/**
 * Probes an idle modem while the link is online: a signal query every `intervalMs`. Timeouts on
 * PROBE_TIMEOUTS_TO_LOSE consecutive probes mean the modem stopped answering. The probe never
 * queues behind a backlog: while reports are going out, a publish the modem confirmed within
 * the interval is proof of life, and a publish still in flight has its own timeout.
 */
import { AtTimeoutError } from '../at/errors';
import type { ModemDriver } from '../modems/driver';
import { messageOf } from './errors';

/**
 * Consecutive probe timeouts that mean "the modem is gone". Not one: a single timeout can be a
 * modem busy with something else (ESP-AT `busy p...` and late answers; a cellular modem
 * searching the network), and the channel resyncs after it. Two in a row, a whole probe
 * interval apart, is a modem that stopped answering.
 */
export const PROBE_TIMEOUTS_TO_LOSE = 2;

/** True for an AT timeout, also when the driver wrapped it (ModemError with the timeout as `cause`). */
export function isAtTimeout(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e instanceof AtTimeoutError) return true;
    e = e.cause;
  }
  return false;
}

export interface ProbeHost {
  /** The driver while the link is online for `epoch`, else undefined. */
  onlineDriver(epoch: number): ModemDriver | undefined;
  /** Proof of life: when the modem last confirmed a publish, and whether one is in flight. */
  lastConfirmedAt(): number;
  publishing(): boolean;
  signal(epoch: number, percent: number | undefined): void;
  /** The modem stopped answering. */
  lost(driver: ModemDriver, reason: string): void;
  log(level: 'info' | 'warn', text: string): void;
}


export class IdleProbe {
  private timer: NodeJS.Timeout | undefined;
  private timeouts = 0;

  constructor(
    private readonly host: ProbeHost,
    private readonly intervalMs: number,
  ) {}

  /** Probes every interval while `epoch` stays online; the next probe is armed only when the previous one settled. */
  start(epoch: number): void {
    this.stop();
    if (!this.intervalMs) return;
    const next = () => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.host.onlineDriver(epoch)) return;
        void this.probe(epoch).finally(() => {
          if (this.host.onlineDriver(epoch) && !this.timer) next();
        });
      }, this.intervalMs);
      this.timer.unref?.();
    };
    next();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timeouts = 0;
  }

  private async probe(epoch: number): Promise<void> {
    const driver = this.host.onlineDriver(epoch);
    if (!driver) return;
    if (this.host.publishing() || Date.now() - this.host.lastConfirmedAt() < this.intervalMs) {
      this.timeouts = 0;
      return;
    }
    try {
      const q = await driver.signal();
      this.timeouts = 0;
      this.host.signal(epoch, q.percent);
    } catch (err) {
      if (!this.host.onlineDriver(epoch)) return;
      // ERROR / +CME ERROR is an answer: the modem is alive, whatever it thinks of the query.
      if (!isAtTimeout(err)) {
        this.timeouts = 0;
        return;
      }
      this.timeouts++;
      if (this.timeouts < PROBE_TIMEOUTS_TO_LOSE) {
        this.host.log('warn', `idle probe got no answer (${messageOf(err)}); probing again`);
        return;
      }
      this.timeouts = 0;
      this.host.lost(driver, `the modem stopped answering (${PROBE_TIMEOUTS_TO_LOSE} idle probes timed out: ${messageOf(err)})`);
    }
  }
}
