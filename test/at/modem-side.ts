/**
 * The modem end of an in-process byte pipe, for channel tests: it records what the channel
 * wrote and sends scripted bytes whole, one byte at a time or in seeded random chunks, each
 * chunk a separate stream write (so the channel sees real chunk boundaries).
 */
import { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';

class PipeEnd extends Duplex {
  peer!: PipeEnd;
  constructor() {
    super({ allowHalfOpen: false });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.peer.destroyed) return cb(new Error('pipe peer closed'));
    this.peer.push(Buffer.from(chunk));
    cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.peer.push(null);
    cb();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.destroy();
    cb(err);
  }
}

/** Two connected Duplex ends: what one writes, the other reads. */
export function createPipe(): [Duplex, Duplex] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export type ChunkMode = 'whole' | 'bytes' | `random:${number}`;
export const CHUNK_MODES: ChunkMode[] = ['whole', 'bytes', 'random:1', 'random:7', 'random:42'];

/** mulberry32: a tiny seeded PRNG so random splits are reproducible. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function splitChunks(data: Buffer, mode: ChunkMode): Buffer[] {
  if (mode === 'whole') return [data];
  if (mode === 'bytes') return [...data].map((b) => Buffer.from([b]));
  const rnd = seededRandom(Number(mode.slice(7)));
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    const n = 1 + Math.floor(rnd() * 9);
    out.push(data.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

export class ModemSide {
  rx = Buffer.alloc(0);
  private consumed = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly end: Duplex) {
    end.on('data', (d: Buffer) => {
      this.rx = Buffer.concat([this.rx, d]);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves when `cond` holds for the received bytes (rejects after `timeoutMs`, a safety net only). */
  waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`modem side: condition not met within ${timeoutMs} ms; rx=${JSON.stringify(this.rx.toString('latin1'))}`)), timeoutMs);
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** The next command line the channel wrote (up to its CR or CR LF). */
  async nextCommand(): Promise<string> {
    await this.waitFor(() => this.rx.indexOf(0x0d, this.consumed) >= 0);
    const cr = this.rx.indexOf(0x0d, this.consumed);
    const line = this.rx.toString('utf8', this.consumed, cr);
    this.consumed = cr + 1;
    if (this.rx[this.consumed] === 0x0a) this.consumed++;
    else if (this.rx.length === this.consumed) {
      // An ESP terminator may still be in flight: take its LF when it arrives.
      await nextTurn();
      if (this.rx[this.consumed] === 0x0a) this.consumed++;
    }
    return line;
  }

  /** Exactly `n` bytes written after the last command line (prompt payloads). */
  async readBytes(n: number): Promise<Buffer> {
    await this.waitFor(() => this.rx.length - this.consumed >= n);
    const out = this.rx.subarray(this.consumed, this.consumed + n);
    this.consumed += n;
    return out;
  }

  /** Bytes written but not yet read by nextCommand/readBytes. */
  unread(): Buffer {
    return this.rx.subarray(this.consumed);
  }

  async send(data: string | Buffer, mode: ChunkMode = 'whole'): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (const chunk of splitChunks(bytes, mode)) {
      this.end.write(chunk);
      // One event-loop turn per chunk so each arrives as its own 'data' event.
      if (mode !== 'whole') await nextTurn();
    }
    await nextTurn();
  }
}
