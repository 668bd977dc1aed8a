/**
 * The always-on table of unsolicited result code handlers (PROTOCOLS.md P2). Lookup is a Map
 * from the text up to and including the first `:` (`+QMTRECV:`), so a line costs one slice
 * and one hash lookup; prefixes without a colon (`WIFI `, `busy`) are few and checked with
 * startsWith. Regexes run only on lines whose prefix already matched.
 */
import type { RawClaim, UrcHandler } from './types';

/**
 * Largest raw read a header may announce. The modules deliver at most a few KiB per URC
 * (EC20 10 KiB); a larger length is line noise, and claiming it would swallow the stream and
 * reserve that much memory. Such a header is left to the line handlers.
 */
const MAX_RAW_BYTES = 1024 * 1024;

/** Longest prefix key looked up in the map; longer "prefixes" are not URC names. */
const MAX_KEY_LENGTH = 48;

function mapKeyOf(prefix: string): string | undefined {
  const colon = prefix.indexOf(':');
  return colon >= 0 && colon < MAX_KEY_LENGTH ? prefix.slice(0, colon + 1) : undefined;
}

export class UrcTable {
  private readonly byKey = new Map<string, UrcHandler[]>();
  private loose: UrcHandler[] = [];
  private partials: UrcHandler[] = [];

  constructor(private readonly onHandlerError: (handler: UrcHandler, err: unknown) => void) {}

  add(handler: UrcHandler): () => void {
    const key = mapKeyOf(handler.prefix);
    if (key !== undefined) {
      const list = this.byKey.get(key);
      if (list) list.push(handler);
      else this.byKey.set(key, [handler]);
    } else {
      this.loose = [...this.loose, handler];
    }
    if (handler.partial && handler.onPartial) this.partials = [...this.partials, handler];
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      if (key !== undefined) {
        const list = this.byKey.get(key);
        if (list) {
          const rest = list.filter((h) => h !== handler);
          if (rest.length > 0) this.byKey.set(key, rest);
          else this.byKey.delete(key);
        }
      } else {
        this.loose = this.loose.filter((h) => h !== handler);
      }
      this.partials = this.partials.filter((h) => h !== handler);
    };
  }

  /** Prefixes of handlers with a partial (raw read) form, for the framer's gate. */
  partialPrefixes(): string[] {
    return this.partials.map((h) => h.prefix);
  }

  /** Offers an open line to the partial handlers; the first that claims it wins (header length in chars of `text`). */
  claimRaw(text: string): { headerLength: number; claim: RawClaim } | undefined {
    for (const h of this.partials) {
      if (!text.startsWith(h.prefix)) continue;
      h.partial!.lastIndex = 0;
      const m = h.partial!.exec(text);
      if (m === null || m.index !== 0) continue;
      let claim: RawClaim | undefined;
      try {
        claim = h.onPartial!(m);
      } catch (err) {
        this.onHandlerError(h, err);
        continue;
      }
      if (claim === undefined || !Number.isInteger(claim.length) || claim.length < 0 || claim.length > MAX_RAW_BYTES) continue;
      return { headerLength: m[0].length, claim };
    }
    return undefined;
  }

  /** Runs every handler that matches `line`; true when at least one took it. */
  dispatch(line: string): boolean {
    let handled = false;
    const key = line.length > 0 ? this.keyOfLine(line) : undefined;
    if (key !== undefined) {
      const list = this.byKey.get(key);
      if (list !== undefined) {
        for (const h of list) if (this.run(h, line)) handled = true;
      }
    }
    for (const h of this.loose) if (this.run(h, line)) handled = true;
    return handled;
  }

  private keyOfLine(line: string): string | undefined {
    if (this.byKey.size === 0) return undefined;
    const colon = line.indexOf(':');
    return colon > 0 && colon < MAX_KEY_LENGTH ? line.slice(0, colon + 1) : undefined;
  }

  private run(h: UrcHandler, line: string): boolean {
    if (!h.onLine || !line.startsWith(h.prefix)) return false;
    let m: RegExpMatchArray | null = null;
    if (h.line) {
      h.line.lastIndex = 0;
      m = h.line.exec(line);
      if (m === null) return false;
    }
    try {
      h.onLine(line, m);
    } catch (err) {
      this.onHandlerError(h, err);
    }
    return true;
  }
}
