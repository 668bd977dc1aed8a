/**
 * A Transport on a local serial port (serialport 13). An unplugged USB modem, a port error
 * or a close from the OS is reported as `close(reason)`, so the link layer reopens it.
 */
import { access, existsSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { StreamTransport } from './stream-transport';
import { TransportError } from './transport';

export interface SerialTransportOptions {
  path: string;
  baudRate: number;
  /** A serialport binding to use instead of the OS one (tests inject @serialport/binding-mock). */
  binding?: unknown;
  /**
   * How often to check that the device node still exists (default 1000 ms; 0 disables). The
   * Linux binding does not always notice a vanished tty until the next write (a pty whose
   * master closed reads nothing, forever), so an idle link would never learn of an unplug.
   */
  presenceCheckMs?: number;
}

/** Turns an open failure into a message that tells the user what to do. */
export function describeSerialOpenError(path: string, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const text = `${code ?? ''} ${err.message}`;
  if (/EACCES|permission denied/i.test(text)) {
    return (
      `cannot open serial port ${path}: permission denied (EACCES). Add the user that runs Node-RED to the ` +
      `"dialout" group (sudo usermod -aG dialout <user>, then log in again); in Docker, pass the device with ` +
      `--device=${path} (and --group-add dialout)`
    );
  }
  if (/ENOENT|no such file/i.test(text)) {
    return `cannot open serial port ${path}: no such device. Is the modem plugged in and powered? Pick a port from the list, or use /dev/serial/by-id/... so the name survives re-plugging`;
  }
  if (/EBUSY|lock|resource busy/i.test(text)) {
    return `cannot open serial port ${path}: it is in use by another program (ModemManager, a terminal, another Node-RED flow)`;
  }
  return `cannot open serial port ${path}: ${err.message}`;
}

export class SerialTransport extends StreamTransport {
  readonly description: string;
  private presenceTimer: NodeJS.Timeout | undefined;
  private vanished = false;

  constructor(private readonly options: SerialTransportOptions) {
    super();
    this.description = options.path;
  }

  get path(): string {
    return this.options.path;
  }

  get baudRate(): number {
    return this.options.baudRate;
  }

  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let port: SerialPort;
      const settings = {
        path: this.options.path,
        baudRate: this.options.baudRate,
        autoOpen: false,
        ...(this.options.binding !== undefined ? { binding: this.options.binding } : {}),
      };
      try {
        port = new SerialPort(settings as ConstructorParameters<typeof SerialPort>[0]);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        reject(new TransportError(describeSerialOpenError(this.options.path, e), this.options.path, { cause: e }));
        return;
      }
      port.open((err) => {
        if (err) {
          reject(new TransportError(describeSerialOpenError(this.options.path, err), this.options.path, { cause: err }));
          return;
        }
        this.attach(port);
        this.watchPresence(port);
        resolve();
      });
    });
  }

  private watchPresence(port: SerialPort): void {
    const every = this.options.presenceCheckMs ?? 1000;
    this.vanished = false;
    if (every <= 0) return;
    // Only watch a path that exists at open (COM ports and mock bindings have no device node);
    // decided synchronously, so an unplug right after open is still noticed.
    if (!existsSync(this.options.path) || !port.isOpen) return;
    const timer = setInterval(() => {
      access(this.options.path, (err) => {
        if (!err || err.code !== 'ENOENT' || !port.isOpen) return;
        this.vanished = true;
        clearInterval(timer);
        // close(), not destroy(): destroying the stream leaves the binding's descriptor open, and
        // a hung-up tty reads 0 bytes at once, so serialport's read loop would spin a core for
        // ever. close() releases the descriptor (its 'close' reports the loss).
        port.close((err) => {
          if (err && !port.destroyed) port.destroy();
        });
      });
    }, every);
    // Never the reason the process stays alive.
    timer.unref();
    this.presenceTimer = timer;
    port.once('close', () => clearInterval(timer));
  }

  protected override lossReason(closeArg: unknown): Error {
    if (this.vanished) {
      return new TransportError(`${this.description} disappeared: the modem was unplugged, powered off or re-enumerated`, this.description);
    }
    return super.lossReason(closeArg);
  }

  protected override shutdown(stream: Duplex): void {
    if (this.presenceTimer !== undefined) clearInterval(this.presenceTimer);
    const port = stream as SerialPort;
    if (port.isOpen) {
      // close() releases the device; 'close' follows and finishes the session.
      port.close((err) => {
        if (err && !port.destroyed) port.destroy();
      });
    } else {
      port.destroy();
    }
  }
}
