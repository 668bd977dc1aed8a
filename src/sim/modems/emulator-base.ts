/**
 * The modem emulator core. Every model (EC20, BC26, ESP8266) extends ModemEmulatorBase.
 *
 * BASE CLASS CONTRACT (for model authors)
 * - Construct with `super(model, options)`. The base owns the byte stream, the paced writer,
 *   the transcript, the TCP listener, the generic fault counters and the strict-mode record.
 * - Implement:
 *     protected receive(chunk: Buffer): void    bytes host->modem (already in the transcript).
 *                                                Use a CommandReader (command-reader.ts) or your own.
 *     protected powerOn(): void                  emit the boot output; called once, on the first
 *                                                attach() (the modem is "plugged in"), and after
 *                                                every reboot once state is reset. Use
 *                                                `this.options.bootDelayMs` for the initial silence.
 *                                                Drop input until the application is up: with
 *                                                options.powerOnAtPortOpen every attach() after the
 *                                                first is a reboot() (resetState, then powerOn), so
 *                                                a model that stays deaf from resetState() until its
 *                                                ready output gets that option right by itself.
 *     protected resetState(): void               forget everything volatile (echo on again, settings,
 *                                                MQTT clients closed WITHOUT any URC). Called by reboot
 *                                                and close, after the base cancelled its timers.
 *     protected dropLink(clientIndex?: number): void    the broker link is lost (emit the model's URC).
 *   Optionally override `protected async shutdown()` for async cleanup on close().
 * - Output: `this.send(bytes | string)` paces and records the bytes. Nothing is sent while no
 *   host stream is attached (a modem talking to an unplugged cable).
 * - Timers: use `this.schedule(ms, fn)`; reboot() and close() cancel them all, so nothing from
 *   before a reboot leaks out after it.
 * - Generic faults: call `this.takeCommandFault()` once per received command; it returns 'busy',
 *   'error' or null and consumes the counters set by faults.busy() / faults.errorOnCommand().
 *   `this.answerDelayMs` is the extra latency set by faults.delay(). `this.urcLatency()` gives a
 *   random result-URC latency within options.urcLatencyMs.
 * - Strict mode: call `this.violation(text)`; it is recorded only when options.strict is set, and
 *   always emitted as a 'violation' event.
 * - Model-specific faults: override `protected extraFaults()` returning an object whose methods are
 *   merged into `faults` (type them with the F parameter).
 *
 * Events: 'violation' (text), 'log' (text), 'attached', 'detached', 'boot'.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { createDuplexPair } from './duplex-pair';
import { PacedWriter } from './paced-writer';
import type { EmulatedModel, EmulatedUsbIds, ModemEmulator, ModemEmulatorOptions, ModemFaults, TranscriptEntry } from './types';

/** The module's own USB port (Quectel EC20/EC25, 2c7c:0125) and an FTDI bridge in front of a UART. */
const HOST_PORT_IDS: Record<'usb' | 'uart', EmulatedUsbIds> = {
  usb: { vendorId: '2c7c', productId: '0125' },
  uart: { vendorId: '0403', productId: '6001' },
};

export type ResolvedEmulatorOptions = ModemEmulatorOptions & {
  baudRate: number;
  bootDelayMs: number;
  strict: boolean;
  urcLatencyMs: [number, number];
};

export type CommandFault = 'busy' | 'error' | null;

/**
 * The generic per-command faults set by faults.busy(), faults.errorOnCommand() and faults.delay().
 * A class of its own because the ESP8266 engine also runs without an emulator core (its unit
 * tests drive it directly) and then counts with a copy of its own; under the core it is given
 * the core's.
 */
export class CommandFaultCounters {
  private busyLeft = 0;
  private errorCountdown = 0;
  private extraDelay = 0;

  /** The next `count` commands are answered busy without running. */
  busy(count: number): void {
    this.busyLeft = Math.max(0, count);
  }

  /** The nth command from now (1 = the next) is answered ERROR without running. */
  errorOnCommand(n: number): void {
    this.errorCountdown = Math.max(0, n);
  }

  /** Extra latency before every answer. */
  delay(ms: number): void {
    this.extraDelay = Math.max(0, ms);
  }

  /** Consulted once per received command; consumes the counters. */
  take(): CommandFault {
    if (this.busyLeft > 0) {
      this.busyLeft--;
      return 'busy';
    }
    if (this.errorCountdown > 0) {
      this.errorCountdown--;
      if (this.errorCountdown === 0) return 'error';
    }
    return null;
  }

  get delayMs(): number {
    return this.extraDelay;
  }
}

export abstract class ModemEmulatorBase<F extends ModemFaults = ModemFaults>
  extends EventEmitter
  implements ModemEmulator<F>
{
  readonly violations: string[] = [];
  readonly transcript: TranscriptEntry[] = [];
  readonly faults: F;
  readonly hostInterface: 'usb' | 'uart';
  protected readonly options: ResolvedEmulatorOptions;

  private stream: Duplex | null = null;
  private readonly writer: PacedWriter;
  /** Paces host->modem bytes of the attached stream. */
  private hostInput: PacedWriter | null = null;
  private server: net.Server | null = null;
  private readonly started = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private powered = false;
  private closed = false;
  /** Given to a dialect engine that counts command faults itself (Esp8266Engine). */
  protected readonly commandFaults = new CommandFaultCounters();
  private muted = false;

  protected constructor(
    readonly model: EmulatedModel,
    options: ModemEmulatorOptions,
  ) {
    super();
    this.options = {
      ...options,
      baudRate: options.baudRate ?? 115200,
      bootDelayMs: options.bootDelayMs ?? 50,
      strict: options.strict ?? false,
      urcLatencyMs: options.urcLatencyMs ?? [5, 25],
    };
    this.hostInterface = options.hostInterface ?? (model === 'ec20' ? 'usb' : 'uart');
    this.writer = new PacedWriter(this.options.baudRate, (bytes) => this.writeNow(bytes));
    const generic: ModemFaults = {
      reboot: () => this.reboot(),
      dropLink: (idx) => this.dropLink(idx),
      busy: (count) => this.commandFaults.busy(count),
      errorOnCommand: (n) => this.commandFaults.errorOnCommand(n),
      delay: (ms) => this.commandFaults.delay(ms),
      noise: (bytes) => this.send(bytes),
      closePort: () => this.unplug(),
      mute: (on) => this.mute(on),
    };
    this.faults = Object.assign(generic, this.extraFaults()) as F;
  }

  // ------------------------------------------------------------------ model hooks

  protected abstract receive(chunk: Buffer): void;
  protected abstract powerOn(): void;
  protected abstract resetState(): void;
  protected abstract dropLink(clientIndex?: number): void;
  protected extraFaults(): Partial<F> {
    return {};
  }
  protected async shutdown(): Promise<void> {
    // Nothing by default.
  }

  // ------------------------------------------------------------------ public API

  get hostPortIds(): EmulatedUsbIds {
    return HOST_PORT_IDS[this.hostInterface];
  }

  attach(stream: Duplex): void {
    if (this.closed) throw new Error('modem emulator is closed');
    this.detach();
    this.stream = stream;
    // A UART carries host->modem bytes at the baud rate too: the modem sees a long command
    // arrive over time, as a real one does (baud 0: at once).
    const rx = new PacedWriter(this.options.baudRate, (chunk) => {
      if (this.stream !== stream) return;
      this.transcript.push({ dir: 'in', t: this.now(), bytes: chunk });
      if (this.muted) return;
      this.receive(chunk);
    });
    this.hostInput = rx;
    stream.on('data', (chunk: Buffer) => {
      if (this.stream === stream) rx.write(Buffer.from(chunk));
    });
    const gone = (): void => {
      rx.discard();
      if (this.stream === stream) this.detach();
    };
    stream.on('end', gone);
    stream.on('close', gone);
    stream.on('error', (err) => this.emit('log', `stream error: ${err.message}`));
    this.emit('attached');
    if (!this.powered) {
      this.powered = true;
      this.powerOn();
    } else if (this.options.powerOnAtPortOpen) {
      // The port open pulses reset or PWRKEY (DTR/RTS wiring): a full restart, input lost
      // until the application is up (docs/models/ec20.md, "Boot").
      this.reboot();
    }
  }

  createHostStream(): Duplex {
    const [modemSide, hostSide] = createDuplexPair();
    this.attach(modemSide);
    return hostSide;
  }

  async listenTcp(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.server) throw new Error('modem emulator already listens on TCP');
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      if (this.stream) {
        // One host at a time, like a serial port: a second connection is refused.
        socket.destroy();
        return;
      }
      this.attach(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelScheduled();
    this.writer.discard();
    this.hostInput?.discard();
    this.resetState();
    await this.shutdown();
    const stream = this.stream;
    this.detach();
    stream?.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Fault: the modem hangs (firmware stuck, brown-out without a reboot). While muted it ignores
   * every byte it receives and sends nothing, not even URCs; its state (network, MQTT clients)
   * stays as it was. `mute(false)` makes it answer again; commands sent meanwhile are lost.
   */
  mute(on = true): void {
    this.muted = on;
    if (on) this.writer.discard();
  }

  // ------------------------------------------------------------------ for models

  /** Bytes modem->host, paced at the baud rate. Dropped while nothing is attached. */
  protected send(bytes: Buffer | string): void {
    if (this.closed || !this.stream || this.muted) return;
    this.writer.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  }

  protected schedule(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
  }

  protected cancelScheduled(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  protected takeCommandFault(): CommandFault {
    return this.commandFaults.take();
  }

  protected get answerDelayMs(): number {
    return this.commandFaults.delayMs;
  }

  protected urcLatency(): number {
    const [lo, hi] = this.options.urcLatencyMs;
    return lo + Math.random() * Math.max(0, hi - lo);
  }

  protected violation(text: string): void {
    if (this.options.strict) this.violations.push(text);
    this.emit('violation', text);
  }

  protected log(text: string): void {
    this.emit('log', text);
  }

  /** All volatile state lost, then the boot output again (also used by AT reboot commands). */
  protected reboot(): void {
    if (this.closed) return;
    this.cancelScheduled();
    this.writer.discard();
    this.hostInput?.discard();
    this.resetState();
    this.emit('boot');
    this.powerOn();
  }

  protected get attached(): boolean {
    return this.stream !== null;
  }

  protected get isClosed(): boolean {
    return this.closed;
  }

  // ------------------------------------------------------------------ internals

  private now(): number {
    return Math.round((performance.now() - this.started) * 1000) / 1000;
  }

  private writeNow(bytes: Buffer): void {
    const stream = this.stream;
    if (!stream || stream.destroyed || stream.writableEnded) return;
    this.transcript.push({ dir: 'out', t: this.now(), bytes: Buffer.from(bytes) });
    stream.write(bytes);
  }

  private detach(): void {
    if (!this.stream) return;
    this.stream = null;
    this.writer.discard();
    this.emit('detached');
  }

  private unplug(): void {
    const stream = this.stream;
    this.detach();
    if (stream) {
      stream.end();
      stream.destroy();
    }
  }
}
