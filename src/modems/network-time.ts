/**
 * The time the network gives the modem (NITZ on the cellular modules, SNTP on ESP-AT), read with
 * the profile's `commands.networkTime` and `responses.networkTime` (docs/models/ec20.md,
 * docs/models/bc26.md, docs/models/esp8266.md, "Network time"). A profile without them has no
 * network clock. The answer pattern names its parts with named groups:
 *
 * - `year` (2 digits = 20yy, or 4), `month` (1-12) or `monthName` (Jan...Dec), `day`, `hour`,
 *   `minute`, `second`;
 * - `zone`, optional: the answer is LOCAL time, `zone` quarter hours ahead of UTC (3GPP +CCLK).
 *   Without a `zone` group the answer is read as UTC.
 *
 * `commands.networkTimeSetup`, optional, runs once per driver before the first read (ESP-AT's
 * SNTP configuration); while a setup's sync is pending the time reads as the epoch, so the read
 * is repeated until it is plausible or `timeouts.networkTimeSync` has passed.
 */
import { literalPrefixOfSource } from './regex-literal-prefix';
import type { ModemError } from './errors';
import { isSkippable, type ProfileCommands } from './profile-commands';

export interface NetworkTimeOptions {
  /** Whether a reading is a real time (not the 1970/1980 a module reports before it synced). */
  plausible(utcMs: number): boolean;
}

export interface NetworkTimeReading {
  /** UTC milliseconds of the answer, when one parsed. */
  utcMs?: number;
  /** The answer line (or the failure), for logs. */
  answer: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const POLL_MS = 500;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Reads a time answer line with the named groups above; undefined when it does not match or names no date. */
export function parseNetworkTime(line: string, source: string): number | undefined {
  const g = new RegExp(source).exec(line.trim())?.groups;
  if (!g) return undefined;
  const num = (v: string | undefined) => (v === undefined || v === '' ? NaN : Number(v));
  let year = num(g.year);
  if (g.year?.length === 2) year += 2000;
  const month = g.monthName !== undefined ? MONTHS.indexOf(g.monthName.toLowerCase()) + 1 : num(g.month);
  const [day, hour, minute, second] = [num(g.day), num(g.hour), num(g.minute), num(g.second)];
  if (![year, month, day, hour, minute, second].every(Number.isInteger)) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const zoneQuarters = g.zone === undefined ? 0 : Number(g.zone);
  if (!Number.isInteger(zoneQuarters) || Math.abs(zoneQuarters) > 96) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second) - zoneQuarters * 15 * 60_000;
}

export class NetworkClockReader {
  private setupDone = false;

  constructor(private readonly cmds: ProfileCommands) {}

  /** Whether the profile names a network time query at all. */
  get available(): boolean {
    const p = this.cmds.profile;
    return p.commands.networkTime !== undefined && p.responses?.networkTime !== undefined;
  }

  /**
   * Reads the network time. Never throws for a modem's refusal or silence: those are a reading
   * without a time (the caller then falls back to the host clock); a restart still throws.
   */
  async read(opts: NetworkTimeOptions): Promise<NetworkTimeReading> {
    if (!this.available) return { answer: `profile "${this.cmds.profile.name}" has no network time query` };
    const source = this.cmds.profile.responses!.networkTime!;
    try {
      if (!this.setupDone && this.cmds.profile.commands.networkTimeSetup !== undefined) {
        await this.cmds.run('networkTimeSetup');
        this.setupDone = true;
      }
      const deadline = Date.now() + this.cmds.timeout('networkTimeSync');
      for (;;) {
        const res = await this.cmds.run('networkTime', {}, { responsePrefixes: [literalPrefixOfSource(source).prefix] });
        const line = res.lines.find((l) => new RegExp(source).test(l.trim())) ?? res.lines[0] ?? '';
        const utcMs = parseNetworkTime(line, source);
        const reading: NetworkTimeReading = { answer: line || '(no answer line)', ...(utcMs !== undefined ? { utcMs } : {}) };
        // Only a setup (SNTP) syncs after a delay; NITZ came with the registration or not at all.
        if ((utcMs !== undefined && opts.plausible(utcMs)) || this.cmds.profile.commands.networkTimeSetup === undefined) return reading;
        if (Date.now() + POLL_MS > deadline) return reading;
        await delay(POLL_MS);
      }
    } catch (err) {
      if (!isSkippable(err)) throw err;
      return { answer: (err as ModemError).message };
    }
  }
}
