/**
 * Splits the modem's byte stream into AT lines (docs/at-channel.md, framing):
 * - any run of CR and LF is one line break (CR LF, LF CR, lone CR, lone LF); blank lines vanish;
 * - a `>` at the start of a line is the data prompt, with or without a trailing space and
 *   without any newline, but only while the sink says a prompt is expected;
 * - a line starting with a registered partial prefix is offered to the sink while still open;
 *   when the sink claims it, exactly N raw bytes after the header are handed over whatever
 *   they contain, and the rest of that line (e.g. a closing `"`) is dropped.
 *
 * Hot path: each chunk is framed as latin1 text, a char per byte (an ASCII chunk is decoded
 * once, see push), so a string position is a byte position and the open line carried to the
 * next chunk is just a string joined in front of it. Breaks are found with V8's string search and lines are substrings; only lines with
 * bytes above 0x7F are decoded as UTF-8. Buffer.indexOf, toString and subarray per line (native
 * calls and a fresh object each) cost more than the framing itself did. No per-byte loop.
 */
import { hasPrefix } from './has-prefix';
import type { RawClaim } from './types';

export interface LineFramerSink {
  /**
   * A complete line, without its line break. While `keepBreaks` is set, `breakBefore` is the
   * run of CR and LF bytes received between the previous line and this one, exactly as received
   * (`\r\n`, `\n\r`, `\r\n\r\n`...): a URC whose quoted payload runs over line breaks
   * (docs/at-channel.md, continuation) puts them back between its lines. Otherwise it is ''.
   */
  onLine(line: string, breakBefore: string): void;
  wantsPrompt(): boolean;
  onPrompt(): void;
  /**
   * `text` is the open line from its start (maybe running into the lines after it); returns the
   * claim, never for a header that holds a line break (the URC table skips such a match),
   * and claimedHeaderLength() then gives the header's length in characters of `text` (the
   * framer converts it to bytes). Two calls, not a result object: this runs per raw read.
   */
  claimRaw(text: string): RawClaim | undefined;
  claimedHeaderLength(): number;
  onRaw(claim: RawClaim, payload: Buffer): void;
}

const CR = 0x0d;
const LF = 0x0a;
const PROMPT = 0x3e; // '>'
const SPACE = 0x20;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Bytes first decoded to test a partial (raw-read) header, so the payload that follows it on
 * the same line is not decoded for nothing. It grows to fit the longest header seen; a header
 * that does not fit is retried on the whole line.
 */
const INITIAL_HEADER_WINDOW = 192;
const MAX_HEADER_WINDOW = 4096;

/** An open line longer than this without a break is flushed as a line, so garbage cannot grow memory. */
const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/**
 * A read as latin1 text (a char per byte) or as UTF-8 text. Buffer#latin1Slice and #utf8Slice
 * are what toString ends in, without its argument checks and encoding lookup; they are not in
 * Node's documentation, so toString stays as the fallback.
 */
type Slicer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };
const HAS_SLICES =
  typeof (Buffer.prototype as Partial<Slicer>).latin1Slice === 'function' && typeof (Buffer.prototype as Partial<Slicer>).utf8Slice === 'function';
function latin1Text(chunk: Buffer): string {
  return HAS_SLICES ? (chunk as Slicer).latin1Slice(0, chunk.length) : chunk.toString('latin1');
}
function utf8Text(chunk: Buffer): string {
  return HAS_SLICES ? (chunk as Slicer).utf8Slice(0, chunk.length) : chunk.toString('utf8');
}

/**
 * Writes latin1 text (a char per byte) into `buf` at `offset`: the bytes the text was decoded
 * from. Buffer#latin1Write is what Buffer#write(text, offset, 'latin1') ends in, without its
 * argument checks (not in Node's documentation: Buffer#write is the fallback). Joining a spanning
 * payload's pieces as text for one Buffer.from at the end copied every byte twice (the join is
 * flattened first), and Buffer#copy from a view builds a typed array per read.
 */
type Latin1Writer = Buffer & { latin1Write(text: string, offset: number, length: number): number };
const HAS_LATIN1_WRITE = typeof (Buffer.prototype as Partial<Latin1Writer>).latin1Write === 'function';
function writeLatin1(buf: Buffer, text: string, offset: number): void {
  if (HAS_LATIN1_WRITE) (buf as Latin1Writer).latin1Write(text, offset, text.length);
  else buf.write(text, offset, text.length, 'latin1');
}

/** True when `text` holds a CR or an LF: two native searches, a fraction of a char loop's cost. */
export function hasBreak(text: string): boolean {
  return text.indexOf('\r') !== -1 || text.indexOf('\n') !== -1;
}

export class LineFramer {
  /** The open (unterminated) line carried over from the previous chunk, as latin1 text. */
  private pending: string | null = null;
  private pendingAscii = true;
  /** First bytes of registered partial prefixes: a cheap gate before any decode or regex. */
  private partialFirst = new Uint8Array(256);
  private partialPrefixes: string[] = [];
  // A raw read in progress (fields, not an object per read): its claim, the bytes still to
  // come, and, when the payload spans reads, the payload's buffer, allocated at its full length
  // when the first read ends before the payload does, each read's part written into it from
  // the read's latin1 text (see writeLatin1).
  private raw: RawClaim | null = null;
  private rawRemaining = 0;
  private rawBuf: Buffer | null = null;
  /** Byte length of the header tryClaim matched last. */
  private claimedHeaderBytes = 0;
  /** After a raw payload: drop bytes up to the next line break. */
  private dropRest = false;
  /**
   * Set by the sink while it needs the break bytes between lines (an open continuation); only
   * then are they collected, so ordinary lines cost nothing more.
   */
  keepBreaks = false;
  /** With keepBreaks: CR and LF bytes seen since the last line, prompt or raw payload (at most maxLineBytes kept). */
  private breakRun = '';
  /** A prompt `>` ended a chunk; its optional space may open the next one. */
  private skipPromptSpace = false;
  private headerWindow = INITIAL_HEADER_WINDOW;
  // findBreak's memo: in `breakText`, nextCr is the first CR at or after crFrom (text.length
  // when there is none), likewise nextLf and lfFrom; a search never runs again over text it
  // has passed. Valid only going forward: a search from before crFrom searches again (a new
  // read can hold the very same text as the last one).
  private breakText = '';
  private nextCr = 0;
  private crFrom = 0;
  private nextLf = 0;
  private lfFrom = 0;

  // The bytes being framed (fields, not an object per read): the open line carried over, as
  // latin1 text, followed by the chunk. Position p of `text` is byte p of that stream.
  private chunk: Buffer = Buffer.alloc(0);
  private text = '';
  /** Length of the carried-over part in front of the chunk. */
  private base = 0;
  /** Every byte is below 0x80: lines are substrings of `text` as they are. */
  private ascii = true;

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
    this.pendingAscii = true;
    this.raw = null;
    this.rawBuf = null;
    this.dropRest = false;
    this.skipPromptSpace = false;
    this.breakRun = '';
  }

  push(chunk: Buffer): void {
    let chunkText = utf8Text(chunk);
    // Decoded as UTF-8, a read is all ASCII exactly when it has a char per byte and no U+FFFD:
    // every other byte either joins a multi-byte sequence (fewer chars than bytes) or is
    // replaced by U+FFFD. (The search for U+FFFD in a one-byte string returns at once.) Then
    // the text is its latin1 text as well, from one pass over the read instead of an isAscii
    // pass and a decode; any other read is decoded again, as latin1.
    const chunkAscii = chunkText.length === chunk.length && chunkText.indexOf('\uFFFD') === -1;
    if (!chunkAscii) chunkText = latin1Text(chunk);
    const pending = this.pending;
    if (pending === null) {
      this.process(chunk, chunkText, 0, chunkAscii);
      return;
    }
    const joined = pending + chunkText;
    const joinedAscii = chunkAscii && this.pendingAscii;
    if (pending.length > MAX_HEADER_WINDOW && joined.length <= this.maxLineBytes && !hasBreak(chunkText)) {
      // A long open line (too long to be an unclaimed raw-read header) that goes on: keep the
      // joined rope without searching it again, so a line fed in small reads costs linear time.
      this.pending = joined;
      this.pendingAscii = joinedAscii;
      return;
    }
    this.pending = null;
    // A string join, not a Buffer.concat: no copy until the search flattens it, no new Buffer.
    this.process(chunk, joined, pending.length, joinedAscii);
  }

  private process(chunk: Buffer, text: string, base: number, ascii: boolean): void {
    this.chunk = chunk;
    this.text = text;
    this.base = base;
    this.ascii = ascii;
    const len = text.length;
    let pos = 0;

    while (pos < len) {
      if (this.raw !== null) {
        pos = this.takeRaw(pos, len);
        continue;
      }
      if (this.dropRest) {
        const brk = this.findBreak(text, pos);
        if (brk === -1) return;
        this.dropRest = false;
        pos = brk;
        continue;
      }

      const c = text.charCodeAt(pos);
      if (c === CR || c === LF) {
        if (this.keepBreaks && this.breakRun.length < this.maxLineBytes) this.breakRun += c === CR ? '\r' : '\n';
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
        this.breakRun = '';
        this.sink.onPrompt();
        continue;
      }

      // A raw-read header is tested before the line's end is looked for, so a claimed payload
      // is taken by its length and never scanned. The prefix test runs on the text in place
      // (most lines that start with `+` are not headers); a non-ASCII prefix cannot be seen in
      // latin1 text, so there it is tested on the decoded header instead.
      let brk = -2;
      if (this.partialFirst[c] === 1 && (!ascii || this.partialPrefixAt(text, pos))) {
        let claimed = this.tryClaim(this.decode(pos, Math.min(len, pos + this.headerWindow)));
        if (claimed === undefined) {
          brk = this.findBreak(text, pos);
          const end = brk === -1 ? len : brk;
          // The header may be longer than the window: try the whole line, and widen the window.
          if (end - pos > this.headerWindow) {
            claimed = this.tryClaim(this.decode(pos, end));
            if (claimed !== undefined) {
              this.headerWindow = Math.min(MAX_HEADER_WINDOW, Math.max(this.headerWindow * 2, this.claimedHeaderBytes + 64));
            }
          }
        }
        if (claimed !== undefined) {
          pos += this.claimedHeaderBytes;
          this.breakRun = '';
          if (claimed.length <= 0) {
            this.dropRest = true;
            this.sink.onRaw(claimed, Buffer.alloc(0));
          } else {
            this.raw = claimed;
            this.rawRemaining = claimed.length;
            this.rawBuf = null;
          }
          continue;
        }
      }
      if (brk === -2) brk = this.findBreak(text, pos);
      if (brk === -1) {
        if (len - pos > this.maxLineBytes) {
          this.sink.onLine(this.decode(pos, len), this.takeBreakRun());
          return;
        }
        this.pending = text.slice(pos);
        this.pendingAscii = ascii || !NON_ASCII.test(this.pending);
        return;
      }
      this.sink.onLine(this.decode(pos, brk), this.takeBreakRun());
      // When break bytes are kept, the loop's CR/LF branch collects this break too; otherwise
      // it is skipped here (read after onLine: the line may have just opened a continuation).
      pos = this.keepBreaks ? brk : brk + 1;
    }
  }

  /** The break run before the line being handed over; the next line starts a new one. */
  private takeBreakRun(): string {
    const run = this.breakRun;
    this.breakRun = '';
    return run;
  }

  /**
   * Position of the first CR or LF at or after `from` in `text`, or -1. Two native searches
   * (String#indexOf) cost less than a char loop even for short lines (~5 ns a char here);
   * each position found is remembered, so a run of lines ending in LF alone does not search
   * for a far-off CR once per line.
   */
  private findBreak(text: string, from: number): number {
    const len = text.length;
    if (text !== this.breakText) {
      this.breakText = text;
      this.crFrom = len + 1;
      this.lfFrom = len + 1;
    }
    let cr = this.nextCr;
    if (from < this.crFrom || cr < from) {
      cr = text.indexOf('\r', from);
      if (cr === -1) cr = len;
      this.nextCr = cr;
      this.crFrom = from;
    }
    // A CR right here is the break: the LF search can wait for a later call.
    if (cr === from) return cr;
    let lf = this.nextLf;
    if (from < this.lfFrom || lf < from) {
      lf = text.indexOf('\n', from);
      if (lf === -1) lf = len;
      this.nextLf = lf;
      this.lfFrom = from;
    }
    const brk = cr < lf ? cr : lf;
    return brk < len ? brk : -1;
  }

  /** Bytes [start, end): a view of the chunk when they lie in it (Node streams never reuse chunk memory). */
  private bytes(start: number, end: number): Buffer {
    if (start >= this.base) return this.chunk.subarray(start - this.base, end - this.base);
    return Buffer.from(this.text.slice(start, end), 'latin1');
  }

  /** The text of bytes [start, end), decoded as UTF-8 where they are not ASCII. */
  private decode(start: number, end: number): string {
    const s = this.text.slice(start, end);
    if (this.ascii || !NON_ASCII.test(s)) return s;
    return Buffer.from(s, 'latin1').toString('utf8');
  }

  /** Hands the next bytes to the raw read in progress; returns the position after them. */
  private takeRaw(pos: number, len: number): number {
    const remaining = this.rawRemaining;
    const take = remaining < len - pos ? remaining : len - pos;
    let buf = this.rawBuf;
    if (buf === null) {
      if (take === remaining) {
        // The whole payload is in this read: a view, no copy.
        this.finishRaw(this.bytes(pos, pos + take));
        return pos + take;
      }
      // `remaining` is still the claim's whole length here (at most the URC table's 1 MiB cap);
      // every byte is written before the buffer is handed over, and reset() drops it.
      buf = this.rawBuf = Buffer.allocUnsafe(remaining);
    }
    writeLatin1(buf, this.text.slice(pos, pos + take), buf.length - remaining);
    this.rawRemaining = remaining - take;
    if (this.rawRemaining === 0) this.finishRaw(buf);
    return pos + take;
  }

  private finishRaw(payload: Buffer): void {
    const claim = this.raw!;
    this.raw = null;
    this.rawBuf = null;
    this.dropRest = true;
    this.sink.onRaw(claim, payload);
  }

  /**
   * True when the text at `pos` starts with a registered partial prefix. Compared char by char:
   * startsWith with a position argument was the framer's single most expensive call.
   */
  private partialPrefixAt(text: string, pos: number): boolean {
    const prefixes = this.partialPrefixes;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i];
      const n = p.length;
      // The prefix's last char first (the `:` of `+QMTRECV:`): the other URCs that share its
      // start (`+QMTPUB: `, `+QMTSUB: `) differ there, so most lines are ruled out by one compare.
      if (pos + n > text.length || (n > 0 && text.charCodeAt(pos + n - 1) !== p.charCodeAt(n - 1))) continue;
      if (hasPrefix(text, p, pos)) return true;
    }
    return false;
  }

  /**
   * Offers a header (the start of an open line, maybe running into the lines after it) to the
   * partial handlers; returns the claim and leaves the header's byte length in
   * claimedHeaderBytes. (The sink never claims a match that spans a line break.)
   */
  private tryClaim(head: string): RawClaim | undefined {
    const claim = this.sink.claimRaw(head);
    if (claim === undefined) return undefined;
    const n = this.sink.claimedHeaderLength();
    // Decoded text has a char per byte only when it is ASCII.
    this.claimedHeaderBytes = this.ascii ? n : Buffer.byteLength(head.slice(0, n), 'utf8');
    return claim;
  }

}
