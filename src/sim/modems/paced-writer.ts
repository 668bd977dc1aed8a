/**
 * Passes bytes on no faster than a UART at the configured baud rate would carry them (10 bits
 * per byte: start, 8 data, stop). The emulator paces both directions with it: drivers must
 * survive lines arriving in pieces, the timing of a long +QMTRECV matters to their timeouts, and
 * a long AT+QMTPUB payload takes as long to reach the modem as on a real wire.
 *
 * Bytes go out in slices of at most ~5 ms of line time; order is always preserved. With baud 0
 * every buffer is written immediately (in the same tick).
 */
export class PacedWriter {
  private readonly queue: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Time (ms, performance clock) at which the line is free again. */
  private lineFreeAt = 0;

  constructor(
    private readonly baudRate: number,
    /** The actual sink; called with each slice when its time has come. */
    private readonly sink: (bytes: Buffer) => void,
  ) {}

  write(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.baudRate <= 0) {
      this.sink(bytes);
      return;
    }
    this.queue.push(bytes);
    if (!this.timer) this.pump();
  }

  /** True while bytes wait to be sent. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Forget everything not yet sent (reboot, unplug). */
  discard(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private get bytesPerMs(): number {
    return this.baudRate / 10 / 1000;
  }

  private pump(): void {
    this.timer = null;
    const now = performance.now();
    if (this.lineFreeAt < now) this.lineFreeAt = now;
    // Send what fits in the next ~5 ms of line time (at least one byte).
    const budget = Math.max(1, Math.floor(this.bytesPerMs * 5));
    const slices: Buffer[] = [];
    let taken = 0;
    while (this.queue.length > 0 && taken < budget) {
      const head = this.queue[0];
      const n = Math.min(head.length, budget - taken);
      slices.push(head.subarray(0, n));
      taken += n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (taken > 0) {
      const wait = this.lineFreeAt - now;
      this.lineFreeAt += taken / this.bytesPerMs;
      const out = Buffer.concat(slices);
      // The slice leaves once the previous one has finished "transmitting".
      if (wait <= 0.5) this.sink(out);
      else {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.sink(out);
          if (this.queue.length > 0) this.pump();
        }, wait);
        return;
      }
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => this.pump(), Math.max(0, this.lineFreeAt - performance.now()));
    }
  }
}
