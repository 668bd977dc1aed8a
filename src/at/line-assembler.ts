/**
 * Assembles the modem's byte stream into AT lines (docs/at-channel.md, framing):
 * - any run of CR and LF is one line break (CR LF, LF CR, lone CR, lone LF); blank lines vanish;
 * - a `>` at the start of a line is the data prompt, with or without a trailing space and
 *   without any newline, but only while the sink says a prompt is expected;
 * - the open line is offered to the sink as a raw-read header; when the sink claims it, exactly
 *   N bytes after the header are handed over whatever they contain, and the rest of that line
 *   (e.g. a closing `"`) is dropped.
 * Lines are decoded as UTF-8 once complete, so a character split between reads arrives whole.
 */
import type { RawClaim } from './types';
import type { RawRead } from './urc-table';

export interface LineSink {
  /** True while the sink needs the break bytes between lines (an open continuation). */
  readonly keepBreaks: boolean;
  /**
   * A complete line, without its line break. While `keepBreaks` is set, `breakBefore` is the
   * run of CR and LF bytes received between the previous line and this one, exactly as received
   * (a continued URC puts them back between its lines); otherwise it is ''.
   */
  onLine(line: string, breakBefore: string): void;
  wantsPrompt(): boolean;
  onPrompt(): void;
  /** `text` is the open line from its start to its line break, or as much as has arrived. */
  claimRaw(text: string): RawRead | undefined;
  onRaw(claim: RawClaim, payload: Buffer): void;
}

const CR = 0x0d;
const LF = 0x0a;
const PROMPT = 0x3e; // '>'
const SPACE = 0x20;

/** A raw-read header must lie within this many bytes from the start of its line. */
const MAX_HEADER_BYTES = 1024;
/** An open line longer than this without a break is handed over as a line, so garbage cannot grow memory. */
const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/** Position of the first CR or LF in `buf` at or after `from`, or -1. */
function nextBreak(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] === CR || buf[i] === LF) return i;
  }
  return -1;
}

/**
 * How many bytes of `buf` from `pos` decode to `text`. Usually its UTF-8 length; but an invalid
 * byte decodes to U+FFFD, three bytes when encoded again, so then the decoded end is searched for.
 */
function byteLengthOf(buf: Buffer, pos: number, text: string): number {
  const encoded = Buffer.byteLength(text, 'utf8');
  if (buf.toString('utf8', pos, pos + encoded) === text) return encoded;
  for (let n = text.length; n <= MAX_HEADER_BYTES && pos + n <= buf.length; n++) {
    if (buf.toString('utf8', pos, pos + n) === text) return n;
  }
  return encoded;
}

/** A raw read in progress: its claim, the parts received so far and the bytes still to come. */
interface RawInProgress {
  claim: RawClaim;
  parts: Buffer[];
  remaining: number;
}

export class LineAssembler {
  /** Bytes of the line not yet ended, carried to the next read, in the reads they came in. */
  private open: Buffer[] = [];
  private openBytes = 0;
  private raw: RawInProgress | undefined;
  /** After a raw payload: drop bytes up to the next line break. */
  private dropRest = false;
  /** With keepBreaks: the CR and LF bytes since the last line, prompt or raw payload. */
  private breakRun = '';
  /** A prompt `>` ended a read; its optional space may open the next one. */
  private skipPromptSpace = false;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Forgets any partial state (after a framing failure or on close). */
  reset(): void {
    this.open = [];
    this.openBytes = 0;
    this.raw = undefined;
    this.dropRest = false;
    this.skipPromptSpace = false;
    this.breakRun = '';
  }

  push(chunk: Buffer): void {
    // The open line holds no line break: the search for its end starts after it.
    const carried = this.openBytes;
    if (carried >= MAX_HEADER_BYTES && carried + chunk.length <= this.maxLineBytes && nextBreak(chunk, 0) === -1) {
      // A long line that goes on (too long to be a raw-read header): keep the read, join at its end.
      this.open.push(chunk);
      this.openBytes += chunk.length;
      return;
    }
    const buf = carried === 0 ? chunk : Buffer.concat([...this.open, chunk]);
    this.open = [];
    this.openBytes = 0;
    let pos = 0;
    while (pos < buf.length) {
      if (this.raw !== undefined) {
        pos = this.takeRaw(buf, pos);
        continue;
      }
      if (this.dropRest) {
        const brk = nextBreak(buf, pos);
        if (brk === -1) return;
        this.dropRest = false;
        pos = brk;
        continue;
      }
      const c = buf[pos];
      if (c === CR || c === LF) {
        if (this.sink.keepBreaks && this.breakRun.length < this.maxLineBytes) this.breakRun += c === CR ? '\r' : '\n';
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
        if (pos === buf.length) this.skipPromptSpace = true;
        else if (buf[pos] === SPACE) pos++;
        this.breakRun = '';
        this.sink.onPrompt();
        continue;
      }
      const brk = nextBreak(buf, Math.max(pos, carried));
      const end = brk === -1 ? buf.length : brk;
      const text = buf.toString('utf8', pos, end);
      // A line already this long in an earlier read was offered as a header then.
      if (pos > 0 || carried < MAX_HEADER_BYTES) {
        const read = this.sink.claimRaw(text);
        if (read !== undefined) {
          pos += byteLengthOf(buf, pos, text.slice(0, read.headerLength));
          this.breakRun = '';
          this.startRaw(read.claim);
          continue;
        }
      }
      if (brk === -1) {
        if (buf.length - pos > this.maxLineBytes) this.sink.onLine(text, this.takeBreakRun());
        else {
          this.open = [buf.subarray(pos)];
          this.openBytes = buf.length - pos;
        }
        return;
      }
      this.sink.onLine(text, this.takeBreakRun());
      // With keepBreaks (read after onLine: the line may have opened a continuation) the break
      // is collected by the CR/LF branch above.
      pos = this.sink.keepBreaks ? brk : brk + 1;
    }
  }

  private startRaw(claim: RawClaim): void {
    if (claim.length > 0) {
      this.raw = { claim, parts: [], remaining: claim.length };
      return;
    }
    this.dropRest = true;
    this.sink.onRaw(claim, Buffer.alloc(0));
  }

  /** Hands the next bytes to the raw read in progress; returns the position after them. */
  private takeRaw(buf: Buffer, pos: number): number {
    const raw = this.raw!;
    const take = Math.min(raw.remaining, buf.length - pos);
    raw.parts.push(buf.subarray(pos, pos + take));
    raw.remaining -= take;
    if (raw.remaining === 0) {
      this.raw = undefined;
      this.dropRest = true;
      this.sink.onRaw(raw.claim, Buffer.concat(raw.parts));
    }
    return pos + take;
  }

  /** The break run before the line being handed over; the next line starts a new one. */
  private takeBreakRun(): string {
    const run = this.breakRun;
    this.breakRun = '';
    return run;
  }
}
