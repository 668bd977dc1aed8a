/**
 * Restart signs (docs/at-channel.md, restart signs): the profile's boot banners and boot tags,
 * an echo after echo was switched off, and the ESP8266 boot ROM log. That ROM prints its log at
 * 74880 baud (`ets Jan  8 2013,rst cause:2, boot mode:(3,6)`, then `load 0x40100000, ...`); a
 * host at 115200 gets it as garbage or partly readable text, and the `ready` after it may be
 * lost with it (capture esp_at_10.txt).
 */
import type { AtChannelOptions } from './types';
import { execAtStart, execFresh } from './urc-table';

/** Readable parts of the ESP8266 ROM log; either one anywhere in a line is enough. */
const ROM_LOG = /ets Jan\s+8 2013|rst cause:\s*\d/;

/** C0 controls except tab, DEL, C1 controls and U+FFFD (what an invalid UTF-8 byte decodes to). */
const UNPRINTABLE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\ufffd]/g;

/**
 * True for a line that is mostly unprintable: bytes sent at another baud rate. It needs at
 * least 8 unprintable chars: a stray noise byte or two on a running module is not a restart.
 */
function isGarbageLine(line: string): boolean {
  const unprintable = line.match(UNPRINTABLE)?.length ?? 0;
  return unprintable >= 8 && unprintable * 2 > line.length;
}

/** Garbage lines within this time of the last one belong to the same boot (one 'reboot'). */
const GARBAGE_BURST_MS = 2000;

/** The channel options that name restart signs. */
export type RestartSignOptions = Pick<AtChannelOptions, 'bootBanners' | 'bootTags' | 'rebootOnGarbage' | 'echoOffCommand'>;

/** What a line says about a restart: none, a new restart, or more of the boot log already reported. */
export type RestartSign = 'restart' | 'same-boot' | undefined;

/** Recognises the restart signs of one channel (docs/at-channel.md, restart signs). */
export class RestartSigns {
  /** The echo-off command succeeded since the last restart: an echo now means the module restarted. */
  echoMeansRestart = false;
  /** When the last garbage line was seen (0: none yet). */
  private lastGarbageAt = 0;

  constructor(private readonly opts: RestartSignOptions) {}

  /** A command succeeded: after the echo-off command, an echo is a restart sign. */
  commandSucceeded(line: string): void {
    const cmd = this.opts.echoOffCommand;
    if (cmd !== undefined && line.toUpperCase() === cmd.toUpperCase()) this.echoMeansRestart = true;
  }

  /** The module restarted: its echo is back on. */
  restarted(): void {
    this.echoMeansRestart = false;
  }

  /** Length of the boot tag (a string, or a RegExp matched at 0) trimmed line `t` starts with, or 0. */
  bootTag(t: string): number {
    for (const tag of this.opts.bootTags ?? []) {
      const length = typeof tag === 'string' ? (t.startsWith(tag) ? tag.length : 0) : (execAtStart(tag, t)?.[0].length ?? 0);
      if (length > 0) return length;
    }
    return 0;
  }

  /** Boot banner, or (with rebootOnGarbage) a line of the boot ROM log: one restart per burst. */
  check(t: string, now: number): RestartSign {
    if (this.isBanner(t)) return 'restart';
    if (!this.opts.rebootOnGarbage || !(isGarbageLine(t) || ROM_LOG.test(t))) return undefined;
    const sameBoot = this.lastGarbageAt !== 0 && now - this.lastGarbageAt < GARBAGE_BURST_MS;
    this.lastGarbageAt = now;
    return sameBoot ? 'same-boot' : 'restart';
  }

  /** A string banner is the whole (trimmed) line; a RegExp banner matches anywhere in it. */
  private isBanner(t: string): boolean {
    for (const banner of this.opts.bootBanners ?? []) {
      if (typeof banner === 'string' ? banner.trim() === t : execFresh(banner, t) !== null) return true;
    }
    return false;
  }
}
