/**
 * The ESP-AT receive side (docs/models/esp8266.md "Line discipline"): host bytes become command
 * lines at each LF, and after a `>` prompt exactly N bytes are raw data, never echoed.
 *
 * Not the CommandReader of the Quectel emulators (command-reader.ts; the emulator core leaves
 * the reader to the model), because that one would change what the host sees:
 * - a line that arrives while a command runs is not kept for later: ESP-AT echoes it and refuses
 *   it with `busy p...` ("Line discipline"), so this reader never pauses;
 * - a line ends at LF, and strict mode names one without the CR before it; a bare CR LF is
 *   dropped without echo (CommandReader strips CR and LF from a line and drops an empty one);
 * - echo returns the whole line, terminator included, once its LF is in (CommandReader echoes
 *   bytes as it parses them);
 * - lines are handed over as bytes and uncapped: parameters are parsed byte-wise, and a line over
 *   the 256-byte limit is answered ERROR, not cut (CommandReader decodes text, cuts at 4096 bytes);
 * - after the raw data, lines are read again at once (CommandReader waits for resume()).
 * Folding these into CommandReader would take a switch at each of its steps: two readers in one.
 */
export interface EspLineEvents {
  /** A command line without its terminator; `crlf` false when it ended in a bare LF. */
  line(body: Buffer, crlf: boolean): void;
  /** Bytes to echo back (only called while echo is on). */
  echo(bytes: Buffer): void;
}

interface RawWait {
  remaining: number;
  chunks: Buffer[];
  resolve: (data: Buffer) => void;
  /** Called when the first data bytes arrive (a fault that strikes during data entry). */
  onData?: () => void;
}

const LF = 0x0a;
const CR = 0x0d;

export class EspLineReader {
  echo = true;
  private lineBuf = Buffer.alloc(0);
  private raw: RawWait | null = null;

  constructor(private readonly events: EspLineEvents) {}

  /** Raw data after a `>` prompt is being read. */
  get readingData(): boolean {
    return this.raw !== null;
  }

  feed(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.raw) {
        const onData = this.raw.onData;
        this.raw.onData = undefined;
        onData?.();
        const take = Math.min(this.raw.remaining, data.length);
        this.raw.chunks.push(data.subarray(0, take));
        this.raw.remaining -= take;
        data = data.subarray(take);
        if (this.raw.remaining === 0) {
          const done = this.raw;
          this.raw = null;
          done.resolve(Buffer.concat(done.chunks));
        }
        continue;
      }
      const lf = data.indexOf(LF);
      if (lf < 0) {
        this.lineBuf = Buffer.concat([this.lineBuf, data]);
        return;
      }
      const line = Buffer.concat([this.lineBuf, data.subarray(0, lf + 1)]);
      this.lineBuf = Buffer.alloc(0);
      data = data.subarray(lf + 1);
      this.onLine(line);
    }
  }

  /**
   * Take the next len bytes as raw data (the caller prints the prompt); `onData` runs when the
   * first of them arrive. Never settles if reset() comes first.
   */
  expectData(len: number, onData?: () => void): Promise<Buffer> {
    return new Promise((resolve) => {
      this.raw = { remaining: len, chunks: [], resolve, onData };
    });
  }

  /** Forget a partial line and a data read; echo on again (reboot). */
  reset(): void {
    this.lineBuf = Buffer.alloc(0);
    this.raw = null;
    this.echo = true;
  }

  private onLine(lineWithLf: Buffer): void {
    const crlf = lineWithLf.length >= 2 && lineWithLf[lineWithLf.length - 2] === CR;
    const body = lineWithLf.subarray(0, lineWithLf.length - (crlf ? 2 : 1));
    if (body.length === 0 && crlf) return; // a bare CR LF is ignored by the firmware
    if (this.echo) this.events.echo(lineWithLf);
    this.events.line(body, crlf);
  }
}
