import { EventEmitter } from 'node:events';

/**
 * A byte pipe to a modem. Implementations: serial (serialport), raw TCP
 * (ser2net-style `tcp://host:port`) and an in-process duplex to an emulator.
 *
 * Events:
 * - `data` (chunk: Buffer): bytes from the modem, in arrival order.
 * - `error` (err: Error): a transport failure; always followed by `close`.
 * - `close` (reason?: Error): the pipe is gone (unplug, socket end, explicit close).
 *   The link layer treats every `close` it did not ask for as link loss and reopens.
 */
export interface Transport extends EventEmitter {
  /** Human-readable name used in logs and errors, e.g. `/dev/ttyUSB2` or `tcp://10.0.0.5:4001`. */
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  /** Resolves when the bytes have been handed to the OS (or the peer stream). */
  write(data: Buffer): Promise<void>;
  /** Idempotent; resolves once `close` has been emitted. */
  close(): Promise<void>;
}

export class TransportError extends Error {
  constructor(message: string, readonly port: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
  }
}
