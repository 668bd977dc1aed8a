/**
 * Restart signs besides the profile's boot banners (docs/at-channel.md, restart signs).
 *
 * The ESP8266 boot ROM prints its log at 74880 baud (`ets Jan  8 2013,rst cause:2, boot
 * mode:(3,6)`, then `load 0x40100000, ...`); a host at 115200 gets it as garbage or partly
 * readable text, and the `ready` after it may be lost with it (capture esp_at_10.txt).
 */

/** Readable parts of the ESP8266 ROM log; either one anywhere in a line is enough. */
const ROM_LOG_PATTERNS: readonly RegExp[] = [/ets Jan\s+8 2013/, /rst cause:\s*\d/];

/**
 * A garbage line needs at least this many unprintable chars (and more unprintable chars than
 * printable ones): a stray noise byte or two on a running module is not a restart.
 */
const MIN_UNPRINTABLE = 8;

/** C0 controls except tab, DEL, C1 controls and U+FFFD (what an invalid UTF-8 byte decodes to). */
function isUnprintable(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || (code >= 0x7f && code < 0xa0) || code === 0xfffd;
}

/** True for a line that is mostly unprintable: bytes sent at another baud rate. */
export function isGarbageLine(line: string): boolean {
  let unprintable = 0;
  for (let i = 0; i < line.length; i++) {
    if (isUnprintable(line.charCodeAt(i))) unprintable++;
  }
  return unprintable >= MIN_UNPRINTABLE && unprintable * 2 > line.length;
}

/** True for a readable line of the ESP8266 ROM log. */
export function isRomLogLine(line: string): boolean {
  return ROM_LOG_PATTERNS.some((re) => re.test(line));
}

/** The length of the boot tag `line` starts with (a string, or a RegExp matched at 0), or 0. */
export function bootTagLength(line: string, tags: readonly (string | RegExp)[]): number {
  for (const tag of tags) {
    if (typeof tag === 'string') {
      if (tag.length > 0 && line.startsWith(tag)) return tag.length;
      continue;
    }
    tag.lastIndex = 0;
    const m = tag.exec(line);
    if (m !== null && m.index === 0 && m[0].length > 0) return m[0].length;
  }
  return 0;
}
