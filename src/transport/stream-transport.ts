/**
 * Common wiring of a Transport over a Node Duplex (serial port stream, TCP socket, in-process
 * pipe): bytes out as `data`, a failure as `error` followed by exactly one `close` per opened
 * session, and `close(reason)` for every loss the caller did not ask for.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { type Transport, TransportError } from './transport';

export abstract class StreamTransport extends EventEmitter implements Transport {
  abstract readonly description: string;
  private stream: Duplex | undefined;
  private lastError: Error | undefined;
  private closeRequested = false;
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;

  get isOpen(): boolean {
    return this.stream !== undefined;
  }

  abstract open(): Promise<void>;

  /** Starts a session on an opened stream. */
  protected attach(stream: Duplex): void {
    this.stream = stream;
    this.lastError = undefined;
    this.closeRequested = false;
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    const onData = (chunk: Buffer | string) => {
      this.emit('data', typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    };
    const onError = (err: Error) => {
      this.lastError = err;
      const wrapped = new TransportError(`${this.description}: ${err.message}`, this.description, { cause: err });
      // Without a listener, 'error' would throw out of the stream's callback and crash Node-RED.
      if (this.listenerCount('error') > 0) this.emit('error', wrapped);
      // Make sure 'close' follows every error.
      if (!stream.destroyed) stream.destroy();
    };
    const onEnd = () => {
      // The peer ended its side: a modem link is useless half-open.
      if (!stream.destroyed) stream.destroy();
    };
    const onClose = (closeArg?: unknown) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      // Swallow late errors from a dead stream.
      stream.on('error', () => undefined);
      stream.off('error', onError);
      if (this.stream === stream) this.stream = undefined;
      const reason = this.closeRequested ? undefined : this.lossReason(closeArg);
      const resolve = this.resolveClosed;
      this.resolveClosed = undefined;
      this.emit('close', reason);
      resolve?.();
    };
    stream.on('data', onData);
    stream.on('error', onError);
    stream.on('end', onEnd);
    stream.on('close', onClose);
  }

  /** The error to report when the stream closed without close() being called. */
  protected lossReason(closeArg: unknown): Error {
    if (closeArg instanceof Error) return new TransportError(`${this.description}: ${closeArg.message}`, this.description, { cause: closeArg });
    if (this.lastError) return new TransportError(`${this.description}: ${this.lastError.message}`, this.description, { cause: this.lastError });
    return new TransportError(`${this.description} was closed by the other side`, this.description);
  }

  write(data: Buffer): Promise<void> {
    const stream = this.stream;
    if (stream === undefined || stream.destroyed) return Promise.reject(this.notOpenError());
    return new Promise((resolve, reject) => {
      stream.write(data, (err) => {
        if (err) reject(this.writeError(err));
        else resolve();
      });
    });
  }

  private notOpenError(): TransportError {
    return new TransportError(`${this.description} is not open`, this.description);
  }

  private writeError(err: Error): TransportError {
    return new TransportError(`writing to ${this.description} failed: ${err.message}`, this.description, { cause: err });
  }

  close(): Promise<void> {
    const stream = this.stream;
    if (stream === undefined) return this.closedPromise ?? Promise.resolve();
    this.closeRequested = true;
    const done = this.closedPromise ?? Promise.resolve();
    this.shutdown(stream);
    return done;
  }

  /** Ends the stream; `close` must follow. Serial ports override this to release the device cleanly. */
  protected shutdown(stream: Duplex): void {
    stream.destroy();
  }
}
