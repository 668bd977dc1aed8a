/**
 * The clock a sign type 1 login is signed with (docs/iotda.md §1.1): IoTDA checks the ClientId's
 * `YYYYMMDDHH` against its own clock, so a gateway whose clock is unset or far off is refused.
 *
 * At each connect: the network's time (NITZ, SNTP: ModemDriver.networkTime) when the modem gives
 * a plausible one, kept as an offset to the host clock for the later connects over the same
 * modem bring-up and read again after each new one; otherwise the host clock, unless that is
 * plainly wrong (before EARLIEST_PLAUSIBLE_UTC), which fails the attempt with what to do.
 */
import type { ModemDriver } from '../modems/driver';
import { LinkError, messageOf } from './errors';
import type { LogLevel } from './link-queue';

export type ClockSource = 'network' | 'host';

/**
 * No correct clock reads earlier than the month this check was written (December 2026); a
 * module's RTC before NITZ (1980) and ESP-AT before SNTP (1970) read earlier, as does a gateway
 * without a battery-backed clock after power-up.
 */
export const EARLIEST_PLAUSIBLE_UTC = Date.UTC(2026, 11, 1);
/** A reading this far in the future is as wrong as one in the past. */
const LATEST_PLAUSIBLE_UTC = Date.UTC(2100, 0, 1);
/** Host and network clocks further apart than this get a log line (the host clock needs fixing). */
export const CLOCK_SKEW_NOTICE_MS = 5 * 60_000;

export function isPlausibleTime(utcMs: number): boolean {
  return Number.isFinite(utcMs) && utcMs >= EARLIEST_PLAUSIBLE_UTC && utcMs < LATEST_PLAUSIBLE_UTC;
}

export interface SignTime {
  now: Date;
  source: ClockSource;
}

export class SignClock {
  /** The driver the offset was read on: a new bring-up (a new driver) reads the network again. */
  private readOn: ModemDriver | undefined;
  /** Network time minus host time, when the network gave a plausible time on `readOn`. */
  private offsetMs: number | undefined;
  /** IoTDA refused a login signed with the network time on `readOn`: the host clock signs instead. */
  private networkRefused = false;

  constructor(
    private readonly hostClock: () => number = Date.now,
    private readonly log?: (level: LogLevel, text: string) => void,
  ) {}

  /** The time to sign with on `driver`; throws a LinkError when no trustworthy clock is left. */
  async timeFor(driver: ModemDriver): Promise<SignTime> {
    if (driver !== this.readOn) {
      this.networkRefused = false;
      await this.readNetwork(driver);
    } else if (this.offsetMs === undefined && !this.networkRefused) {
      await this.readNetwork(driver);
    }
    if (this.offsetMs !== undefined) return { now: new Date(this.hostClock() + this.offsetMs), source: 'network' };
    const host = this.hostClock();
    if (!isPlausibleTime(host)) {
      throw new LinkError(
        'bad-clock',
        // The advice leads: a status bubble shows only the start of the reason.
        `set the host clock (NTP) or use sign type 0: sign type 1 needs the correct time, the modem gives no network time and the host clock reads ${new Date(host).toISOString()}`,
      );
    }
    return { now: new Date(host), source: 'host' };
  }

  /**
   * IoTDA refused (CONNACK 4/5) a sign type 1 login signed at `timestamp`: the error to fail the
   * attempt with. Signed with the network time while a plausible host clock reads another hour,
   * the host clock gets the next attempt (not a refusal yet); signed with the host clock, the
   * error names the clock as the likely cause; otherwise `err` as it is.
   */
  refused(driver: ModemDriver, signed: SignTime, timestamp: string, err: unknown): unknown {
    const message = messageOf(err);
    if (signed.source === 'host') {
      return new LinkError(
        'auth-failed',
        `${message}; signed with the host clock as ${timestamp} (sign type 1, no network time): if the secret is right, set the host clock or use sign type 0`,
        { cause: err },
      );
    }
    if (this.hostInstead(driver, signed)) {
      return new LinkError('not-connected', `${message}; signed with the network time as ${timestamp}, the host clock is tried next`, { cause: err });
    }
    return err;
  }

  /**
   * IoTDA refused a login signed with the network time. When the host clock is plausible and reads
   * another hour, the network's reading may be what was wrong (a module whose clock format is
   * unconfirmed, docs/models/bc26.md "Network time"): the next attempts on this bring-up sign with
   * the host clock. True when that is worth trying; false when the host clock cannot help.
   */
  private hostInstead(driver: ModemDriver, signed: SignTime): boolean {
    const host = this.hostClock();
    const hourOf = (ms: number) => Math.floor(ms / 3_600_000);
    if (signed.source !== 'network' || driver !== this.readOn || !isPlausibleTime(host)) return false;
    if (hourOf(host) === hourOf(signed.now.getTime())) return false;
    this.networkRefused = true;
    this.offsetMs = undefined;
    this.log?.('warn', `IoTDA refused the login signed with the network time (${signed.now.toISOString()}); signing with the host clock (${new Date(host).toISOString()}) next`);
    return true;
  }

  private async readNetwork(driver: ModemDriver): Promise<void> {
    this.readOn = driver;
    this.offsetMs = undefined;
    if (!driver.networkTime) return;
    const reading = await driver.networkTime({ plausible: isPlausibleTime });
    const host = this.hostClock();
    if (reading.utcMs === undefined || !isPlausibleTime(reading.utcMs)) {
      this.log?.('debug', `no network time from the modem (${reading.answer}); signing with the host clock`);
      return;
    }
    this.offsetMs = reading.utcMs - host;
    if (Math.abs(this.offsetMs) > CLOCK_SKEW_NOTICE_MS) {
      this.log?.(
        'warn',
        `the host clock (${new Date(host).toISOString()}) differs from the network time (${new Date(reading.utcMs).toISOString()}) by ${Math.round(Math.abs(this.offsetMs) / 60_000)} min; signing with the network time`,
      );
    }
  }
}
