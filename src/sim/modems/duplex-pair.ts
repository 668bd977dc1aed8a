import { Duplex } from 'node:stream';

/**
 * Two connected in-memory Duplex streams: what is written to one is read from the other.
 * Node 20 has no `stream.duplexPair` (it arrived in Node 22), and the emulators need a byte
 * pipe that behaves like a serial port or socket: ending one side ends the other's readable
 * side, destroying one side closes both.
 */
export function createDuplexPair(): [Duplex, Duplex] {
  let left!: PairEnd;
  let right!: PairEnd;
  left = new PairEnd(() => right);
  right = new PairEnd(() => left);
  return [left, right];
}

class PairEnd extends Duplex {
  private wantsData = false;
  /** Chunks from the peer not yet pushed; `null` is the peer's end-of-stream. */
  private readonly queued: (Buffer | null)[] = [];

  constructor(private readonly peer: () => PairEnd) {
    super({ allowHalfOpen: false });
  }

  /** Delivery from the peer; buffered until _read asks, so back-pressure is honoured. */
  deliver(chunk: Buffer | null): void {
    if (this.destroyed) return;
    this.queued.push(chunk);
    this.pushQueued();
  }

  private pushQueued(): void {
    while (this.wantsData && this.queued.length > 0) {
      const next = this.queued.shift()!;
      this.wantsData = this.push(next) && next !== null;
    }
  }

  override _read(): void {
    this.wantsData = true;
    this.pushQueued();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const peer = this.peer();
    if (peer.destroyed) {
      cb(new Error('duplex pair: peer is closed'));
      return;
    }
    // Copy: the writer may reuse its buffer after the callback.
    peer.deliver(Buffer.from(chunk));
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.peer().deliver(null);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer();
    if (!peer.destroyed) {
      // Like a socket reset: the other side sees end-of-stream, then closes too.
      peer.deliver(null);
      setImmediate(() => peer.destroy());
    }
    cb(err);
  }
}
