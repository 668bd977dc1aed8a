/**
 * A Transport over any Duplex (here: the host side of an emulator's in-process pipe).
 * It also counts the bytes in each direction, which the publish benchmark needs.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Transport } from '../../dist/transport/transport';

export class StreamTransport extends EventEmitter implements Transport {
  readonly description: string;
  isOpen = false;
  bytesOut = 0;
  bytesIn = 0;
  private closed = false;

  /** Time (ms, performance clock) at which the host->modem line is free again when paced. */
  private lineFreeAt = 0;

  /**
   * @param baudRate paces host->modem bytes like a UART (10 bits/byte); 0 = unpaced. The
   *   emulator paces the other direction, so with both a benchmark sees the real wire time.
   */
  constructor(
    private readonly stream: Duplex,
    description = 'stream',
    private readonly baudRate = 0,
  ) {
    super();
    this.description = description;
    stream.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.emit('data', chunk);
    });
    stream.on('error', (err) => this.emit('error', err));
    stream.on('close', () => this.finish());
    stream.on('end', () => this.finish());
  }

  private finish(reason?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.isOpen = false;
    this.emit('close', reason);
  }

  async open(): Promise<void> {
    if (this.closed) throw new Error('stream transport: closed');
    this.isOpen = true;
  }

  write(data: Buffer): Promise<void> {
    this.bytesOut += data.length;
    if (this.baudRate <= 0) return this.writeNow(data);
    const now = performance.now();
    const start = Math.max(now, this.lineFreeAt);
    this.lineFreeAt = start + (data.length * 10 * 1000) / this.baudRate;
    // The bytes reach the modem when their last stop bit has been sent.
    return new Promise((resolve) => setTimeout(resolve, this.lineFreeAt - now)).then(() => this.writeNow(data));
  }

  private writeNow(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.stream.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((resolve) => this.once('close', () => resolve()));
    this.stream.destroy();
    this.finish();
    await done.catch(() => undefined);
  }
}
