/**
 * The table of unsolicited result code handlers (docs/at-channel.md, routing order): a list of
 * handlers in the order added; a line goes to the first whose prefix it starts with and whose
 * `line` regex (if any) matches it. Raw-read headers, continuations and unterminated URCs are
 * looked up in the same list.
 */
import type { RawClaim, UrcHandler } from './types';

/**
 * Largest raw read a header may announce. The modules deliver at most a few KiB per URC
 * (EC20 10 KiB); a larger length is line noise, and claiming it would swallow the stream.
 * Such a header is left to the line handlers.
 */
const MAX_RAW_BYTES = 1024 * 1024;

/** A raw-read header a handler claimed: the claim and the header's length in chars of the text. */
export interface RawRead {
  claim: RawClaim;
  headerLength: number;
}

/** `re` run on the whole of `text` (a global or sticky regex keeps no position between lines). */
export function execFresh(re: RegExp, text: string): RegExpExecArray | null {
  re.lastIndex = 0;
  return re.exec(text);
}

/** `re` run on `text`, matching only at its start. */
export function execAtStart(re: RegExp, text: string): RegExpExecArray | null {
  const m = execFresh(re, text);
  return m !== null && m.index === 0 ? m : null;
}

export class UrcTable {
  private handlers: UrcHandler[] = [];

  constructor(private readonly onHandlerError: (handler: UrcHandler, err: unknown) => void) {}

  add(handler: UrcHandler): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /**
   * Offers the open line (from its start up to its line break, or what has arrived of it) to
   * the raw-read handlers; the first that claims it wins.
   */
  claimRaw(text: string): RawRead | undefined {
    for (const h of this.handlers) {
      if (h.partial === undefined || h.onPartial === undefined || !text.startsWith(h.prefix)) continue;
      const m = execAtStart(h.partial, text);
      if (m === null) continue;
      const claim = this.call(h, () => h.onPartial?.(m), undefined);
      if (claim === undefined || !Number.isInteger(claim.length) || claim.length < 0 || claim.length > MAX_RAW_BYTES) continue;
      return { claim, headerLength: m[0].length };
    }
    return undefined;
  }

  /** Hands `line` to the first handler that matches it; false when none does. */
  dispatch(line: string): boolean {
    for (const h of this.handlers) {
      if (this.deliverTo(h, line)) return true;
    }
    return false;
  }

  /** Runs `h` on `text` when its prefix and `line` regex match; false when they do not. */
  deliverTo(h: UrcHandler, text: string): boolean {
    if (h.onLine === undefined || !text.startsWith(h.prefix)) return false;
    const m = h.line === undefined ? null : execFresh(h.line, text);
    if (h.line !== undefined && m === null) return false;
    this.call(h, () => h.onLine?.(text, m), undefined);
    return true;
  }

  /** The handler whose URC `line` opens and leaves open (its `continues` says true), if any. */
  openedBy(line: string): UrcHandler | undefined {
    return this.handlers.find((h) => h.continues !== undefined && h.onLine !== undefined && line.startsWith(h.prefix) && this.stillOpen(h, line));
  }

  /** The handler's `continues` answer; a handler that throws has closed its URC. */
  stillOpen(h: UrcHandler, text: string): boolean {
    return this.call(h, () => h.continues?.(text) === true, false);
  }

  /** Calls one of `h`'s callbacks; a throw is reported and gives `fallback` (nothing escapes a data callback). */
  call<T>(h: UrcHandler, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      this.onHandlerError(h, err);
      return fallback;
    }
  }

  /**
   * Length of the part of `line` that is a whole URC printed without a line end (an
   * `unterminated` handler's `line` matches a proper prefix of it), or 0.
   */
  unterminatedLength(line: string): number {
    for (const h of this.handlers) {
      if (h.unterminated !== true || h.line === undefined || h.onLine === undefined || !line.startsWith(h.prefix)) continue;
      const m = execAtStart(h.line, line);
      if (m !== null && m[0].length > 0 && m[0].length < line.length) return m[0].length;
    }
    return 0;
  }
}
