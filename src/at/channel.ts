/**
 * AtChannel: one AT command in flight over a Transport (contract in ./types.ts), in the shape
 * of Zephyr's modem_chat, one job per file (docs/at-channel.md, structure).
 * Nothing thrown by a handler, a listener or the transport escapes a data or timer callback.
 */
import { EventEmitter } from 'node:events';
import type { Transport } from '../transport/transport';
import { AtCommand } from './command';
import { CommandQueue } from './command-queue';
import { renderAtCommand } from './command-template';
import { AtClosedError } from './errors';
import { LineAssembler } from './line-assembler';
import { LineRouter } from './line-router';
import { Resync } from './resync';
import { RestartSigns } from './restart-signs';
import { SecretRedactor } from './secret-redactor';
import type { AtChannelOptions, AtCommandOptions, AtResponse, UrcHandler } from './types';
import { UrcTable } from './urc-table';

/** Options this implementation adds to the contract: the first backoff after `busy p...`, doubling per retry (default 200 ms). */
export interface AtChannelExtraOptions {
  busyBackoffMs?: number;
}

/** What the channel's parts (queue, router, resync) share: its options, trace and events. */
export interface ChannelHooks {
  readonly options: AtChannelOptions & AtChannelExtraOptions;
  isClosed(): boolean;
  trace(direction: '>>' | '<<', text: string): void;
  /** A channel note: in the trace as an incoming-side comment, so it keeps its place in the log. */
  note(text: string): void;
  /** Emits a channel event; a listener that throws is noted, not thrown. */
  emit(event: string, arg: unknown): void;
  /** `err` as text, secrets redacted. */
  errorText(err: unknown): string;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** The resync's `AT` waits at most this long (or the default timeout, if shorter). */
const PROBE_TIMEOUT_MS = 2000;

export class AtChannel extends EventEmitter {
  private closed = false;
  private readonly secrets = new SecretRedactor();
  private readonly urcs: UrcTable;
  private readonly queue: CommandQueue;
  private readonly resync: Resync;
  private readonly router: LineRouter;
  private readonly assembler: LineAssembler;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onTransportClose = (reason?: Error) => this.shutdown(reason instanceof Error ? reason : undefined);
  private readonly onTransportError = (err: Error) => this.note(`transport error: ${err?.message ?? err}`);

  constructor(
    readonly transport: Transport,
    private readonly opts: AtChannelOptions & AtChannelExtraOptions,
  ) {
    super();
    const hooks: ChannelHooks = {
      options: opts,
      isClosed: () => this.closed,
      trace: (direction, text) => this.trace(direction, text),
      note: (text) => this.note(text),
      emit: (event, arg) => this.safeEmit(event, arg),
      errorText: (err) => this.errorText(err),
    };
    const signs = new RestartSigns(opts);
    this.urcs = new UrcTable((h, err) => this.note(`URC handler ${h.name} threw: ${this.errorText(err)}`));
    const probeMs = Math.min(opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, PROBE_TIMEOUT_MS);
    this.resync = new Resync(hooks, () => this.queue.probe('AT', probeMs));
    this.queue = new CommandQueue(hooks, transport, signs, this.resync);
    this.router = new LineRouter(hooks, this.queue, this.urcs, signs);
    this.assembler = new LineAssembler(this.router);
    transport.on('data', this.onData);
    transport.on('close', this.onTransportClose);
    transport.on('error', this.onTransportError);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Renders the escaped command line, without sending it (for tests and size checks). */
  render(template: string, view: Record<string, unknown> = {}): string {
    return renderAtCommand(this.opts.dialect, template, view);
  }

  addSecret(secret: string): void {
    if (!secret) return;
    this.secrets.add(secret);
    try {
      // Inside a sent command line the secret appears escaped (ESP-AT `\,`).
      this.secrets.add(this.opts.dialect.escape(secret));
    } catch {
      // A secret the dialect refuses is never sent in a command line.
    }
  }

  addUrc(handler: UrcHandler): () => void {
    return this.urcs.add(handler);
  }

  command(opts: AtCommandOptions): Promise<AtResponse> {
    let line: string;
    try {
      line = this.render(opts.template, opts.view);
    } catch (err) {
      return Promise.reject(err);
    }
    const shown = this.secrets.redact(line);
    if (this.closed) return Promise.reject(new AtClosedError(shown));
    const timeoutMs = opts.timeoutMs ?? this.opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<AtResponse>((resolve, reject) => {
      this.queue.add(new AtCommand(opts, line, shown, timeoutMs, false, resolve, reject));
    });
  }

  /** Fails everything queued or waiting with AtClosedError and detaches from the transport (which stays open). */
  async close(): Promise<void> {
    this.shutdown(undefined);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    this.resync.received();
    this.queue.receiving(() => {
      try {
        this.assembler.push(chunk);
      } catch (err) {
        // A bug here must not take down Node-RED; the assembler starts over with the next line.
        this.note(`framing failed: ${this.errorText(err)}`);
        this.assembler.reset();
      }
    });
  }

  private shutdown(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onTransportClose);
    // Keep an 'error' listener: a transport without any would crash the process on error.
    this.resync.cancel();
    this.queue.failAll((cmd) => new AtClosedError(cmd.shown, reason), true);
    this.assembler.reset();
    this.router.close();
    this.safeEmit('close', reason);
  }

  private trace(direction: '>>' | '<<', text: string): void {
    try {
      this.opts.trace?.(direction, this.secrets.redact(text));
    } catch {
      // A failing logger must not break the modem link.
    }
  }

  private note(text: string): void {
    this.trace('<<', `-- ${text}`);
  }

  private errorText(err: unknown): string {
    return this.secrets.redact(err instanceof Error ? err.message : String(err));
  }

  private safeEmit(event: string, arg: unknown): void {
    try {
      this.emit(event, arg);
    } catch (err) {
      this.note(`a '${event}' listener threw: ${this.errorText(err)}`);
    }
  }
}
