/**
 * A Transport over any Duplex stream that already exists, such as one end of an in-process
 * pipe to a modem emulator (`sim:<model>` ports). The stream cannot be reopened once closed.
 */
import type { Duplex } from 'node:stream';
import { StreamTransport } from './stream-transport';
import { TransportError } from './transport';

export class DuplexTransport extends StreamTransport {
  private used = false;

  constructor(
    private readonly source: Duplex,
    readonly description = 'duplex stream',
  ) {
    super();
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    if (this.used || this.source.destroyed) {
      throw new TransportError(`${this.description} cannot be reopened: the stream is closed`, this.description);
    }
    this.used = true;
    this.attach(this.source);
  }
}
