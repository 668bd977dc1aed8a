/**
 * The network time of the emulated Quectel modules (docs/models/ec20.md and docs/models/bc26.md,
 * "Network time"): what AT+QLTS (EC20) and AT+CCLK? answer, from the emulated network's clock.
 * The emulated network is in UTC+8 (zone +32 quarter hours, no daylight saving).
 *
 * Before the network sent its time (option `networkClock: 'none'`) the EC20 answers `+QLTS: ""`
 * and its RTC counts from 1980-01-06 (the GPS epoch) since power-on; the BC26 RTC likewise
 * (UNCONFIRMED: the emulator's choice, an implausible date as every module has before NITZ).
 */
import type { ModemEmulatorOptions } from './types';

/** The emulated network's zone in quarter hours (China Standard Time). */
const ZONE_QUARTERS = 32;
const RTC_EPOCH = Date.UTC(1980, 0, 6);

const pad = (n: number) => String(n).padStart(2, '0');

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function partsOf(ms: number): Parts {
  const t = new Date(ms);
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() };
}

function zoneText(quarters: number): string {
  return `${quarters < 0 ? '-' : '+'}${pad(Math.abs(quarters))}`;
}

export class QuectelNetworkClock {
  private readonly source: (() => number) | 'none';
  /** Host time at power-on: the RTC before network time counts from here. */
  private poweredAt = Date.now();
  /** Network time at the last sync (power-on with a network clock), for QLTS mode 0. */
  private syncedAt: number | undefined;

  constructor(options: Pick<ModemEmulatorOptions, 'networkClock'>) {
    this.source = options.networkClock ?? Date.now;
    this.powerOn();
  }

  /** A restart: the RTC starts over, and the network sends its time again with the registration. */
  powerOn(): void {
    this.poweredAt = Date.now();
    this.syncedAt = this.source === 'none' ? undefined : this.source();
  }

  /** The network's UTC now, undefined without network time. */
  private networkNow(): number | undefined {
    return this.source === 'none' ? undefined : this.source();
  }

  /** AT+QLTS[=<mode>]: 0 the time of the last sync, 1 current GMT, 2 current local time (EC20 manual). */
  qlts(mode: number): string {
    const now = this.networkNow();
    if (now === undefined || this.syncedAt === undefined) return '+QLTS: ""';
    const utc = mode === 0 ? this.syncedAt : now;
    const shown = mode === 1 ? utc : utc + ZONE_QUARTERS * 15 * 60_000;
    const p = partsOf(shown);
    return `+QLTS: "${p.y}/${pad(p.mo)}/${pad(p.d)},${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${zoneText(ZONE_QUARTERS)},0"`;
  }

  /** EC20 AT+CCLK?: local time with the zone in quarter hours, 3GPP TS 27.007 §8.15. */
  cclkEc20(): string {
    const now = this.networkNow();
    const zone = now === undefined ? 0 : ZONE_QUARTERS;
    const p = partsOf(now === undefined ? this.rtc() : now + zone * 15 * 60_000);
    return `+CCLK: "${pad(p.y % 100)}/${pad(p.mo)}/${pad(p.d)},${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${zoneText(zone)}"`;
  }

  /** BC26 AT+CCLK?: UTC, unpadded fields, the zone in hours after `GMT` (public BC26/BC66 drivers). */
  cclkBc26(): string {
    const now = this.networkNow();
    const zoneHours = now === undefined ? 0 : ZONE_QUARTERS / 4;
    const p = partsOf(now ?? this.rtc());
    return `+CCLK: ${p.y}/${p.mo}/${p.d},${p.h}:${p.mi}:${p.s}GMT${zoneHours < 0 ? '-' : '+'}${Math.abs(zoneHours)}`;
  }

  private rtc(): number {
    return RTC_EPOCH + (Date.now() - this.poweredAt);
  }
}
