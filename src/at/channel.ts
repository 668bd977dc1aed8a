/**
 * AtChannel: one AT command in flight over a Transport (contract in ./types.ts), in the shape
 * of Zephyr's modem_chat. The jobs live in their own files:
 *   line-assembler.ts  bytes -> lines, prompts and raw reads
 *   line-router.ts     each line to the command, a URC handler or the restart detector
 *   command-queue.ts   the queue, deadlines, busy retries and prompts (command.ts: one command)
 *   restart-signs.ts   boot banners and other restart signs
 *   resync.ts          recovery after a timeout; 'unresponsive'
 * Nothing thrown by a handler, a listener or the transport escapes a data or timer callback.
 */
import { EventEmitter } from 'node:events';
import type { Transport } from '../transport/transport';
import { AtCommand } from './command';
import { CommandQueue, type AtChannelExtraOptions } from './command-queue';
import { renderAtCommand } from './command-template';
import { AtClosedError, ModemRebootedError } from './errors';
import { LineAssembler } from './line-assembler';
import { LineRouter } from './line-router';
import { Resync } from './resync';
import { RestartSigns } from './restart-signs';
import { SecretRedactor } from './secret-redactor';
import type { AtChannelOptions, AtCommandOptions, AtResponse, UrcHandler } from './types';
import { UrcTable } from './urc-table';

export type { AtChannelExtraOptions } from './command-queue';

const DEFAULT_TIMEOUT_MS = 5000;
/** The resync's `AT` waits at most this long (or the default timeout, if shorter). */
const PROBE_TIMEOUT_MS = 2000;

export class AtChannel extends EventEmitter {
  private closed = false;
  private readonly opts: AtChannelOptions & AtChannelExtraOptions;
  private readonly secrets = new SecretRedactor();
  private readonly signs: RestartSigns;
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
    options: AtChannelOptions & AtChannelExtraOptions,
  ) {
    super();
    this.opts = options;
    this.signs = new RestartSigns(options);
    this.urcs = new UrcTable((h, err) => this.note(`URC handler ${h.name} threw: ${this.errorText(err)}`));
    const common = {
      trace: (direction: '>>' | '<<', text: string) => this.trace(direction, text),
      note: (text: string) => this.note(text),
      emit: (event: string, arg: unknown) => this.safeEmit(event, arg),
      isClosed: () => this.closed,
    };
    this.queue = new CommandQueue({
      ...common,
      options,
      write: (data) => transport.write(data),
      succeeded: (cmd) => this.signs.commandSucceeded(cmd.line),
      answered: () => this.resync.answered(),
      timedOut: (cmd) => this.resync.timedOut(cmd.shown),
      resync: () => this.resync.run(),
    });
    this.resync = new Resync({
      ...common,
      quietMs: options.resyncQuietMs,
      timeoutsToUnresponsive: options.timeoutsToUnresponsive,
      probe: () => this.queue.probe('AT', Math.min(options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, PROBE_TIMEOUT_MS)),
    });
    this.router = new LineRouter(
      {
        ...common,
        restarted: (sign) => this.onRestart(sign),
        errorText: (err) => this.errorText(err),
        keepBreaks: (on) => (this.assembler.keepBreaks = on),
      },
      this.queue,
      this.urcs,
      this.signs,
    );
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
    let escaped: string | undefined;
    try {
      escaped = this.opts.dialect.escape(secret);
    } catch {
      escaped = undefined;
    }
    this.secrets.add(secret, escaped);
  }

  /** `text` with every registered secret replaced by `***`. */
  redact(text: string): string {
    return this.secrets.redact(text);
  }

  addUrc(handler: UrcHandler): () => void {
    const remove = this.urcs.add(handler);
    this.assembler.setRawPrefixes(this.urcs.rawPrefixes());
    return () => {
      remove();
      this.assembler.setRawPrefixes(this.urcs.rawPrefixes());
    };
  }

  command(opts: AtCommandOptions): Promise<AtResponse> {
    let line: string;
    try {
      line = this.render(opts.template, opts.view);
    } catch (err) {
      return Promise.reject(err);
    }
    const shown = this.redact(line);
    if (this.closed) return Promise.reject(new AtClosedError(shown));
    return new Promise<AtResponse>((resolve, reject) => {
      this.queue.add(new AtCommand(opts, line, shown, opts.timeoutMs ?? this.opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, false, resolve, reject));
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

  private onRestart(sign: string): void {
    this.signs.restarted();
    this.safeEmit('reboot', sign);
    this.queue.failAll((cmd) => new ModemRebootedError(cmd.shown, sign), false);
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
    const fn = this.opts.trace;
    if (!fn) return;
    try {
      fn(direction, this.secrets.redact(text));
    } catch {
      // A failing logger must not break the modem link.
    }
  }

  /** Channel notes go to the trace as incoming-side comments, so they keep their place in the log. */
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
