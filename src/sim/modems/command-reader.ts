/**
 * The modem's receive side: splits host bytes into command lines and, after a `>` prompt, reads
 * raw data (exactly N bytes, or until Ctrl-Z / ESC). Echo (when on) returns command-line bytes
 * verbatim as they are parsed, which is why the BC26/EC20 echo of `AT\r` ends in a bare CR.
 *
 * One command at a time, like the real firmware: after a line is handed over, parsing pauses
 * (bytes keep being buffered) until the dialect calls `resume()` once its final result is out.
 */
export type LineTerminator = 'cr' | 'crlf';

export type DataRequest =
  /** `idleMs`: leave data mode, keeping what came, after this long without a byte (AT+QFUPL <timeout>). */
  | { mode: 'length'; length: number; idleMs?: number }
  /** Until 0x1A (submit) or 0x1B (cancel); `max` bytes at most (more is reported as overflow). */
  | { mode: 'ctrl-z'; max: number };

export type DataResult =
  | { kind: 'data'; bytes: Buffer }
  | { kind: 'cancelled' }
  | { kind: 'overflow'; length: number };

export interface CommandReaderEvents {
  /** A complete command line, terminator stripped (may be empty). */
  line(text: string): void;
  /** Bytes to echo back (only called while echo is on). */
  echo(bytes: Buffer): void;
  /** A raw-data read finished. */
  data(result: DataResult): void;
}

const CR = 0x0d;
const LF = 0x0a;
const CTRL_Z = 0x1a;
const ESC = 0x1b;
/** Longer lines are discarded; real modems have buffers of a few KB. */
const MAX_LINE = 4096;

export class CommandReader {
  echo = true;
  private buffered: Buffer = Buffer.alloc(0);
  private line: number[] = [];
  private paused = false;
  private dataRequest: DataRequest | null = null;
  private dataChunks: number[] = [];
  private overflow = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly terminator: LineTerminator,
    private readonly events: CommandReaderEvents,
  ) {}

  feed(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : Buffer.from(chunk);
    this.parse();
  }

  /** Wait for the dialect before parsing further lines. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // Parse on a fresh tick so a final result written just before resume() goes out first.
    setImmediate(() => this.parse());
  }

  /** Switch to raw-data mode (after the dialect has sent its `>` prompt). */
  expectData(request: DataRequest): void {
    this.dataRequest = request;
    this.dataChunks = [];
    this.overflow = false;
    this.paused = false;
    this.armIdle();
    setImmediate(() => this.parse());
  }

  /** Forget everything (reboot). */
  reset(): void {
    this.buffered = Buffer.alloc(0);
    this.line = [];
    this.paused = false;
    this.dataRequest = null;
    this.clearIdle();
    this.dataChunks = [];
    this.echo = true;
  }

  private parse(): void {
    let i = 0;
    const buf = this.buffered;
    const echoStart = { at: 0 };
    const flushEcho = (end: number): void => {
      if (this.echo && end > echoStart.at) this.events.echo(buf.subarray(echoStart.at, end));
      echoStart.at = end;
    };
    while (i < buf.length && !this.paused) {
      if (this.dataRequest) {
        echoStart.at = i;
        i = this.readData(buf, i);
        echoStart.at = i;
        continue;
      }
      const b = buf[i++];
      const ends = this.terminator === 'cr' ? b === CR : b === LF;
      if (ends) {
        flushEcho(i);
        let text = Buffer.from(this.line).toString('latin1');
        this.line = [];
        if (this.terminator === 'crlf' && text.endsWith('\r')) text = text.slice(0, -1);
        // A LF after a CR-terminated line, or stray CR/LF, is line noise, not a command.
        text = text.replace(/^[\r\n]+/, '');
        if (text.length === 0) continue;
        this.paused = true;
        this.buffered = buf.subarray(i);
        this.events.line(Buffer.from(text, 'latin1').toString('utf8'));
        return;
      }
      if (this.line.length < MAX_LINE) this.line.push(b);
    }
    flushEcho(i);
    this.buffered = buf.subarray(i);
  }

  /** Consume raw-data bytes from buf[i...]; returns the new index. */
  private readData(buf: Buffer, i: number): number {
    const req = this.dataRequest!;
    if (req.mode === 'length') {
      const take = Math.min(req.length - this.dataChunks.length, buf.length - i);
      for (let k = 0; k < take; k++) this.dataChunks.push(buf[i + k]);
      i += take;
      if (this.dataChunks.length === req.length) this.finishData({ kind: 'data', bytes: Buffer.from(this.dataChunks) });
      else if (take > 0) this.armIdle();
      return i;
    }
    while (i < buf.length) {
      const b = buf[i++];
      if (b === CTRL_Z) {
        const bytes = Buffer.from(this.dataChunks);
        this.finishData(this.overflow ? { kind: 'overflow', length: this.dataChunks.length } : { kind: 'data', bytes });
        return i;
      }
      if (b === ESC) {
        this.finishData({ kind: 'cancelled' });
        return i;
      }
      this.dataChunks.push(b);
      if (this.dataChunks.length > req.max) this.overflow = true;
    }
    return i;
  }

  /** (Re)starts the idle limit of a length read that has one. */
  private armIdle(): void {
    this.clearIdle();
    const req = this.dataRequest;
    if (req?.mode !== 'length' || req.idleMs === undefined) return;
    this.idleTimer = setTimeout(() => {
      if (this.dataRequest === req) this.finishData({ kind: 'data', bytes: Buffer.from(this.dataChunks) });
    }, req.idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private finishData(result: DataResult): void {
    this.clearIdle();
    this.dataRequest = null;
    this.dataChunks = [];
    // The dialect answers the data like a command: parsing waits for its resume().
    this.paused = true;
    this.events.data(result);
  }
}
