/**
 * Splits the modem's byte stream into AT lines (PROTOCOLS.md P3, P6, P13):
 * - any run of CR and LF is one line break (CR LF, LF CR, lone CR, lone LF); blank lines vanish;
 * - a `>` at the start of a line is the data prompt, with or without a trailing space and
 *   without any newline, but only while the sink says a prompt is expected;
 * - a line starting with a registered partial prefix is offered to the sink while still open;
 *   when the sink claims it, exactly N raw bytes after the header are handed over whatever
 *   they contain, and the rest of that line (e.g. a closing `"`) is dropped.
 *
 * Hot path: one latin1 decode per chunk (a char per byte, so string positions are byte
 * positions), then V8's string search for CR/LF and substrings for lines: a native call and a
 * fresh string per line (Buffer.indexOf + toString) cost more than the framing itself. Lines of
 * a chunk that is not all ASCII are decoded as UTF-8 one by one. No regex, no per-byte loop.
 */
import { isAscii } from 'node:buffer';
import type { RawClaim } from './types';

export interface LineFramerSink {
  onLine(line: string): void;
  wantsPrompt(): boolean;
  onPrompt(): void;
  /** `text` is the open line from its start (maybe longer than the header); returns the claim and the header's byte length. */
  claimRaw(text: string): { headerBytes: number; claim: RawClaim } | undefined;
  onRaw(claim: RawClaim, payload: Buffer): void;
}

const CR = 0x0d;
const LF = 0x0a;
const PROMPT = 0x3e; // '>'
const SPACE = 0x20;

/**
 * Bytes first decoded to test a partial (raw-read) header, so the payload that follows it on
 * the same line is not decoded for nothing. It grows to fit the longest header seen; a header
 * that does not fit is retried on the whole line.
 */
const INITIAL_HEADER_WINDOW = 192;
const MAX_HEADER_WINDOW = 4096;

/** An open line longer than this without a break is flushed as a line, so garbage cannot grow memory. */
const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

function firstBreak(buf: Buffer): number {
  const cr = buf.indexOf(CR);
  // A CR before any LF is the earliest break; otherwise only the LF search up to it is needed.
  const lf = cr === -1 ? buf.indexOf(LF) : cr === 0 ? -1 : buf.subarray(0, cr).indexOf(LF);
  return lf === -1 ? cr : lf;
}

/** A line of the chunk: a substring of its latin1 text when the chunk is ASCII, else decoded as UTF-8. */
function decodeLine(buf: Buffer, text: string, ascii: boolean, start: number, end: number): string {
  return ascii ? text.slice(start, end) : buf.toString('utf8', start, end);
}

export class LineFramer {
  /** Bytes of the open (unterminated) line carried over from the previous chunk. */
  private pending: Buffer | null = null;
  /** First bytes of registered partial prefixes: a cheap gate before any decode or regex. */
  private partialFirst = new Uint8Array(256);
  private partialPrefixes: string[] = [];
  private raw: { claim: RawClaim; remaining: number; parts: Buffer[] } | null = null;
  /** After a raw payload: drop bytes up to the next line break. */
  private dropRest = false;
  /** A prompt `>` ended a chunk; its optional space may open the next one. */
  private skipPromptSpace = false;
  private headerWindow = INITIAL_HEADER_WINDOW;

  constructor(
    private readonly sink: LineFramerSink,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  setPartialPrefixes(prefixes: string[]): void {
    this.partialPrefixes = [...new Set(prefixes)];
    this.partialFirst = new Uint8Array(256);
    for (const p of this.partialPrefixes) {
      if (p.length > 0) this.partialFirst[Buffer.from(p, 'utf8')[0]] = 1;
    }
  }

  /** True while bytes of an unfinished line, raw payload or dropped tail are outstanding. */
  get midLine(): boolean {
    return this.pending !== null || this.raw !== null || this.dropRest;
  }

  /** Forget any partial state (after the port reopens). */
  reset(): void {
    this.pending = null;
    this.raw = null;
    this.dropRest = false;
    this.skipPromptSpace = false;
  }

  push(chunk: Buffer): void {
    const pending = this.pending;
    if (pending === null) {
      this.process(chunk);
      return;
    }
    this.pending = null;
    // Join the open line with its end only, not with the whole chunk: copying every chunk
    // that follows an open line (nearly all of them with small reads) cost more than framing it.
    // Any split of the stream is valid input, so the rest is simply framed as a chunk of its own.
    const brk = firstBreak(chunk);
    if (brk === -1 || brk === chunk.length - 1) {
      this.process(Buffer.concat([pending, chunk]));
      return;
    }
    this.process(Buffer.concat([pending, chunk.subarray(0, brk + 1)]));
    this.process(chunk.subarray(brk + 1));
  }

  private process(buf: Buffer): void {
    if (this.pending !== null) {
      // Only when a raw payload ended inside the joined head and left a new open line.
      const pending = this.pending;
      this.pending = null;
      buf = Buffer.concat([pending, buf]);
    }
    const len = buf.length;
    const text = buf.toString('latin1');
    const ascii = isAscii(buf);
    let pos = 0;
    // Cached positions of the next CR and LF at or after `pos` (-1: none in this buffer).
    let nextCr = -2;
    let nextLf = -2;

    while (pos < len) {
      if (this.raw !== null) {
        const raw = this.raw;
        const take = Math.min(raw.remaining, len - pos);
        // A view, not a copy: Node streams hand out fresh buffers per chunk.
        raw.parts.push(buf.subarray(pos, pos + take));
        raw.remaining -= take;
        pos += take;
        if (raw.remaining === 0) {
          this.raw = null;
          this.dropRest = true;
          this.sink.onRaw(raw.claim, raw.parts.length === 1 ? raw.parts[0] : Buffer.concat(raw.parts));
        }
        continue;
      }

      if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos);
      if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
      const brk = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : nextCr < nextLf ? nextCr : nextLf;

      if (this.dropRest) {
        if (brk === -1) return;
        this.dropRest = false;
        pos = brk;
        continue;
      }

      const c = text.charCodeAt(pos);
      if (c === CR || c === LF) {
        pos++;
        continue;
      }
      if (this.skipPromptSpace) {
        this.skipPromptSpace = false;
        if (c === SPACE) {
          pos++;
          continue;
        }
      }
      if (c === PROMPT && this.sink.wantsPrompt()) {
        pos++;
        if (pos === len) this.skipPromptSpace = true;
        else if (text.charCodeAt(pos) === SPACE) pos++;
        this.sink.onPrompt();
        continue;
      }

      const end = brk === -1 ? len : brk;
      let line: string | undefined;
      if (this.partialFirst[c] === 1) {
        const attempt = this.tryClaim(buf, ascii ? text : undefined, pos, end);
        const claimed = attempt.claimed;
        line = attempt.text;
        if (claimed !== undefined) {
          pos += claimed.headerBytes;
          if (claimed.claim.length <= 0) {
            this.dropRest = true;
            this.sink.onRaw(claimed.claim, Buffer.alloc(0));
          } else {
            this.raw = { claim: claimed.claim, remaining: claimed.claim.length, parts: [] };
          }
          continue;
        }
      }
      if (brk === -1) {
        if (len - pos > this.maxLineBytes) {
          this.sink.onLine(line ?? decodeLine(buf, text, ascii, pos, len));
          return;
        }
        // Keep the open line for the next chunk (a view: Node streams never reuse chunk memory).
        this.pending = buf.subarray(pos, len);
        return;
      }
      this.sink.onLine(line ?? decodeLine(buf, text, ascii, pos, brk));
      pos = brk + 1;
    }
  }

  /**
   * Offers the line at `pos` to the partial handlers. Returns the claim, or the line's full
   * text when it had to be decoded anyway (so it is decoded only once).
   */
  private tryClaim(
    buf: Buffer,
    asciiText: string | undefined,
    pos: number,
    end: number,
  ): { claimed?: ReturnType<LineFramerSink['claimRaw']>; text?: string } {
    const whole = end - pos <= this.headerWindow;
    const headEnd = whole ? end : pos + this.headerWindow;
    const head = asciiText !== undefined ? asciiText.slice(pos, headEnd) : buf.toString('utf8', pos, headEnd);
    if (!this.startsWithPartialPrefix(head)) return whole ? { text: head } : {};
    const claimed = this.sink.claimRaw(head);
    if (claimed !== undefined) return { claimed };
    if (whole) return { text: head };
    // The header may be longer than the window: try the whole line, and widen the window.
    const full = asciiText !== undefined ? asciiText.slice(pos, end) : buf.toString('utf8', pos, end);
    const retry = this.sink.claimRaw(full);
    if (retry !== undefined) this.headerWindow = Math.min(MAX_HEADER_WINDOW, Math.max(this.headerWindow * 2, retry.headerBytes + 64));
    return retry !== undefined ? { claimed: retry } : { text: full };
  }

  private startsWithPartialPrefix(text: string): boolean {
    for (const p of this.partialPrefixes) if (text.startsWith(p)) return true;
    return false;
  }
}
