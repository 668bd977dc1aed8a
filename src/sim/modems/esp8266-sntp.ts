/**
 * SNTP of the emulated ESP-AT (docs/models/esp8266.md, "Network time"): AT+CIPSNTPCFG and
 * AT+CIPSNTPTIME? as the ESP-AT source answers them. The time is the system time plus the
 * configured zone (-12..14 = hours, otherwise ±HHMM), printed with C `ctime` (`Thu Jan  1
 * 00:00:05 1970`); the system time counts from the epoch at power-on until SNTP synced, which
 * needs SNTP enabled and the station joined, and takes SYNC_MS here (a real sync: a round trip
 * to the servers, seconds at most). Settings and time are lost on a restart.
 */
import type { ModemEmulatorOptions } from './types';

/** How long the emulated SNTP takes to sync once it can (enabled and joined). */
const SYNC_MS = 300;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DEFAULT_SERVERS = ['cn.ntp.org.cn', 'ntp.sjtu.edu.cn', 'us.pool.ntp.org'];

const pad = (n: number) => String(n).padStart(2, '0');

/** C ctime() without its trailing newline: `Www Mmm dd hh:mm:ss yyyy`, the day padded with a space. */
export function ctimeOf(ms: number): string {
  const t = new Date(ms);
  const day = String(t.getUTCDate()).padStart(2, ' ');
  return `${DAYS[t.getUTCDay()]} ${MONTHS[t.getUTCMonth()]} ${day} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} ${t.getUTCFullYear()}`;
}

/** The zone parameter in ms: -12..14 are hours, anything else ±HHMM (ESP-AT source). */
function zoneMs(zone: number): number {
  if (zone >= -12 && zone <= 14) return zone * 3_600_000;
  return Math.trunc(zone / 100) * 3_600_000 + (zone % 100) * 60_000;
}

export class EspSntp {
  private enabled = false;
  private zone = 0;
  private servers = DEFAULT_SERVERS;
  private poweredAt = Date.now();
  /** When SNTP could start syncing (enabled while joined); undefined while it cannot. */
  private syncFrom: number | undefined;
  private synced = false;

  constructor(private readonly source: ModemEmulatorOptions['networkClock']) {}

  /** Power-on or reset: disabled, time from the epoch again. */
  reset(): void {
    this.enabled = false;
    this.zone = 0;
    this.servers = DEFAULT_SERVERS;
    this.poweredAt = Date.now();
    this.syncFrom = undefined;
    this.synced = false;
  }

  /**
   * AT+CIPSNTPCFG=<enable>,<timezone>[,<server>...]; returns false for a zone out of range
   * (the firmware answers ERROR). `joined`: the station has an IP.
   */
  configure(enable: number, zone: number | undefined, servers: string[], joined: boolean): boolean {
    const z = zone ?? 0;
    const validHhmm = Math.abs(z % 100) < 60 && z >= -1200 && z <= 1400;
    if ((enable !== 0 && enable !== 1) || !(Number.isInteger(z) && ((z >= -12 && z <= 14) || validHhmm))) return false;
    this.enabled = enable === 1;
    this.zone = z;
    if (servers.length > 0) this.servers = servers;
    this.syncFrom = this.enabled && joined ? Date.now() : undefined;
    return true;
  }

  /** The station joined (or left) a network: SNTP can sync from now on while enabled. */
  joined(on: boolean): void {
    if (on && this.enabled && this.syncFrom === undefined) this.syncFrom = Date.now();
    if (!on && !this.synced) this.syncFrom = undefined;
  }

  configLine(): string {
    const servers = this.servers.map((s) => `"${s}"`).join(',');
    return `+CIPSNTPCFG:${this.enabled ? 1 : 0},${this.zone}${this.enabled ? `,${servers}` : ''}`;
  }

  /** AT+CIPSNTPTIME? answer line. */
  timeLine(): string {
    return `+CIPSNTPTIME:${ctimeOf(this.systemTime() + zoneMs(this.zone))}`;
  }

  private systemTime(): number {
    const network = this.source === 'none' ? undefined : (this.source ?? Date.now);
    if (!this.synced && network && this.syncFrom !== undefined && Date.now() - this.syncFrom >= SYNC_MS) this.synced = true;
    return this.synced && network ? network() : Date.now() - this.poweredAt;
  }
}
