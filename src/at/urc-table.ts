/**
 * The always-on table of unsolicited result code handlers (docs/at-channel.md, routing order). Line handlers are
 * indexed by the first character of their prefix, and each carries its second character, so
 * a line costs one array read and a char compare per candidate before any prefix compare; the
 * slice and Map lookup this replaced (a fresh string hashed per line) cost more than the
 * matching. Regexes run only on lines whose prefix already matched.
 */
import { hasPrefix } from './has-prefix';
import { hasBreak } from './line-framer';
import type { RawClaim, UrcHandler } from './types';

/**
 * Largest raw read a header may announce. The modules deliver at most a few KiB per URC
 * (EC20 10 KiB); a larger length is line noise, and claiming it would swallow the stream and
 * reserve that much memory. Such a header is left to the line handlers.
 */
const MAX_RAW_BYTES = 1024 * 1024;

/**
 * Handlers whose prefix has a `:` within this many chars (`+QMTRECV:`) run before the others
 * (`WIFI `, `busy`), each group in the order added: the order the table always had.
 */
const MAX_KEY_LENGTH = 48;

/** Index slot for lines (and prefixes) whose first char is not ASCII. */
const NON_ASCII_SLOT = 128;

/** A line handler in the index: its prefix's second char code, or -1 when it has none. */
interface LineEntry {
  handler: UrcHandler;
  second: number;
  /** Index and char code of the prefix's last char (-1 when it has under three chars). */
  lastAt: number;
  last: number;
}

function isKeyed(prefix: string): boolean {
  const colon = prefix.indexOf(':');
  return colon >= 0 && colon < MAX_KEY_LENGTH;
}

export class UrcTable {
  private handlers: UrcHandler[] = [];
  /** Line handlers by the first char code of their prefix; an empty prefix is in every slot. */
  private byFirst: LineEntry[][] = UrcTable.emptyIndex();
  private partials: UrcHandler[] = [];
  /** Handlers whose URC may continue over line breaks (`continues`). */
  private continuing: UrcHandler[] = [];
  /** Handlers whose URC may arrive without a line end (`unterminated`). */
  private unterminated: UrcHandler[] = [];
  /** Header length (chars of the text) of the last successful claimRaw. */
  claimedHeaderLength = 0;

  constructor(private readonly onHandlerError: (handler: UrcHandler, err: unknown) => void) {}

  private static emptyIndex(): LineEntry[][] {
    const slots: LineEntry[][] = [];
    for (let i = 0; i <= NON_ASCII_SLOT; i++) slots.push([]);
    return slots;
  }

  add(handler: UrcHandler): () => void {
    this.handlers = [...this.handlers, handler];
    this.rebuild();
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.handlers = this.handlers.filter((h) => h !== handler);
      this.rebuild();
    };
  }

  /** Handlers change a few times per session: the index is rebuilt, never patched. */
  private rebuild(): void {
    const withLine = this.handlers.filter((h) => h.onLine !== undefined);
    const ordered = [...withLine.filter((h) => isKeyed(h.prefix)), ...withLine.filter((h) => !isKeyed(h.prefix))];
    const index = UrcTable.emptyIndex();
    for (const h of ordered) {
      const n = h.prefix.length;
      const entry: LineEntry = {
        handler: h,
        second: n >= 2 ? h.prefix.charCodeAt(1) : -1,
        lastAt: n >= 3 ? n - 1 : -1,
        last: n >= 3 ? h.prefix.charCodeAt(n - 1) : -1,
      };
      if (h.prefix.length === 0) {
        for (const slot of index) slot.push(entry);
      } else {
        const first = h.prefix.charCodeAt(0);
        index[first < NON_ASCII_SLOT ? first : NON_ASCII_SLOT].push(entry);
      }
    }
    this.byFirst = index;
    this.partials = this.handlers.filter((h) => h.partial !== undefined && h.onPartial !== undefined);
    this.continuing = this.handlers.filter((h) => h.continues !== undefined && h.onLine !== undefined);
    this.unterminated = this.handlers.filter((h) => h.unterminated === true && h.line !== undefined && h.onLine !== undefined);
  }

  /**
   * The handler whose URC `line` opens and leaves open (its `continues` says true), if any:
   * the lines after it belong to that URC until it closes.
   */
  openedBy(line: string): UrcHandler | undefined {
    for (const h of this.continuing) {
      if (!hasPrefix(line, h.prefix)) continue;
      if (this.stillOpen(h, line)) return h;
    }
    return undefined;
  }

  /** The handler's `continues` answer; a handler that throws has closed its URC. */
  stillOpen(h: UrcHandler, text: string): boolean {
    try {
      return h.continues!(text) === true;
    } catch (err) {
      this.onHandlerError(h, err);
      return false;
    }
  }

  /** Hands a continued URC's full text to the handler that opened it; false when its `line` regex does not match. */
  deliverTo(h: UrcHandler, text: string): boolean {
    return this.run(h, text);
  }

  /**
   * Length of the part of `line` that is a whole URC printed without a line end (an
   * `unterminated` handler's `line` matches a proper prefix of it), or 0.
   */
  unterminatedLength(line: string): number {
    for (const h of this.unterminated) {
      if (!hasPrefix(line, h.prefix)) continue;
      const re = h.line!;
      re.lastIndex = 0;
      const m = re.exec(line);
      if (m === null || m.index !== 0) continue;
      const n = m[0].length;
      if (n > 0 && n < line.length) return n;
    }
    return 0;
  }

  /** Prefixes of handlers with a partial (raw read) form, for the framer's gate. */
  partialPrefixes(): string[] {
    return this.partials.map((h) => h.prefix);
  }

  /**
   * Offers an open line to the partial handlers; the first that claims it wins. Returns the
   * claim and leaves the header's length (chars of `text`) in claimedHeaderLength: a result
   * object per claim was an allocation on the hottest path.
   */
  claimRaw(text: string): RawClaim | undefined {
    const partials = this.partials;
    for (let i = 0; i < partials.length; i++) {
      const h = partials[i];
      if (!hasPrefix(text, h.prefix)) continue;
      const re = h.partial!;
      re.lastIndex = 0;
      const m = re.exec(text);
      if (m === null || m.index !== 0) continue;
      // A header is a header of its own line only: a match that runs through a line break
      // (`[^"]*` takes CR LF) is not one, and its handler is not asked about it.
      const header = m[0];
      if (hasBreak(header)) continue;
      let claim: RawClaim | undefined;
      try {
        claim = h.onPartial!(m);
      } catch (err) {
        this.onHandlerError(h, err);
        continue;
      }
      if (claim === undefined || !Number.isInteger(claim.length) || claim.length < 0 || claim.length > MAX_RAW_BYTES) continue;
      this.claimedHeaderLength = header.length;
      return claim;
    }
    return undefined;
  }

  /** Runs every handler that matches `line`; true when at least one took it. */
  dispatch(line: string): boolean {
    const n = line.length;
    let list: LineEntry[];
    let second = -1;
    if (n === 0) {
      // Only empty prefixes match an empty line; they are in every slot.
      list = this.byFirst[0];
    } else {
      const first = line.charCodeAt(0);
      list = this.byFirst[first < NON_ASCII_SLOT ? first : NON_ASCII_SLOT];
      if (n > 1) second = line.charCodeAt(1);
    }
    let handled = false;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      // The second char rules out most candidates before the prefix compare (which still decides).
      if (e.second !== -1 && e.second !== second) continue;
      // And its last char (the `:` of `+QIND:`), which tells apart prefixes sharing a start.
      if (e.lastAt !== -1 && (e.lastAt >= n || line.charCodeAt(e.lastAt) !== e.last)) continue;
      if (this.run(e.handler, line)) handled = true;
    }
    return handled;
  }

  private run(h: UrcHandler, line: string): boolean {
    if (!hasPrefix(line, h.prefix)) return false;
    let m: RegExpMatchArray | null = null;
    if (h.line) {
      h.line.lastIndex = 0;
      m = h.line.exec(line);
      if (m === null) return false;
    }
    try {
      h.onLine!(line, m);
    } catch (err) {
      this.onHandlerError(h, err);
    }
    return true;
  }
}
