/**
 * Routes each line the assembler hands over to the one place it belongs: an open continuation,
 * the command in flight, a URC handler or the restart detector. route() takes the steps of
 * docs/at-channel.md (routing order) in that order; the first step that takes a line wins.
 */
import type { ChannelHooks } from './channel';
import type { CommandQueue } from './command-queue';
import { ModemRebootedError } from './errors';
import type { LineSink } from './line-assembler';
import type { RestartSigns } from './restart-signs';
import type { ContinuationAbandonReason, RawClaim, UrcHandler } from './types';
import type { RawRead, UrcTable } from './urc-table';

/** Caps of an open continuation when its handler sets none (docs/at-channel.md, continuation). */
const DEFAULT_MAX_CONTINUATION_BYTES = 8192;
const DEFAULT_MAX_CONTINUATION_MS = 10000;

/** A URC whose payload runs over line breaks, still open: every line goes to it until it closes. */
interface OpenContinuation {
  handler: UrcHandler;
  text: string;
  /** UTF-8 length of `text`. */
  bytes: number;
  maxBytes: number;
  /** When the time cap ends it (ms since epoch). */
  deadline: number;
  timer: NodeJS.Timeout;
}

/** Spaces, control characters and NULs at either end (modems pad lines, boot garbage has NULs). */
const PADDING = /^[\x00-\x20]+|[\x00-\x20]+$/g;

export class LineRouter implements LineSink {
  private continuation: OpenContinuation | undefined;

  constructor(
    private readonly host: ChannelHooks,
    private readonly queue: CommandQueue,
    private readonly urcs: UrcTable,
    private readonly signs: RestartSigns,
  ) {}

  /** An open continuation needs the line break bytes between its lines. */
  get keepBreaks(): boolean {
    return this.continuation !== undefined;
  }

  onLine(line: string, breakBefore: string): void {
    this.host.trace('<<', line);
    this.take(line, breakBefore);
  }

  wantsPrompt(): boolean {
    return this.continuation === undefined && this.queue.wantsPrompt();
  }

  onPrompt(): void {
    this.queue.onPrompt();
  }

  /** Inside an open continuation a raw-read header is payload text, not a header. */
  claimRaw(text: string): RawRead | undefined {
    return this.continuation === undefined ? this.urcs.claimRaw(text) : undefined;
  }

  onRaw(claim: RawClaim, payload: Buffer): void {
    this.host.trace('<<', `[raw ${payload.length} bytes] ${payload.toString('utf8')}`);
    try {
      claim.onRaw(payload);
    } catch (err) {
      this.host.note(`raw read handler threw: ${this.host.errorText(err)}`);
    }
  }

  /** Gives up an open continuation (the channel closed). */
  close(): void {
    if (this.continuation !== undefined) this.abandon(this.continuation, 'closed');
  }

  /** A line (or the rest of one after a glued part): to the open continuation, or routed. */
  private take(raw: string, breakBefore: string): void {
    if (this.continuation !== undefined) this.continueUrc(this.continuation, raw, breakBefore);
    else this.route(raw);
  }

  private route(raw: string): void {
    const t = raw.replace(PADDING, '');
    if (t.length === 0) return;
    if (t === this.queue.lastSent) {
      // Echo, whether or not echo is on; after echo was switched off, a sign of a restart.
      if (this.signs.echoMeansRestart) this.restarted(t);
      return;
    }
    const tag = this.signs.bootTag(t);
    if (tag > 0) {
      this.restarted(t.slice(0, tag));
      if (tag < t.length) this.take(t.slice(tag), '');
      return;
    }
    // A URC printed without a line end, glued to what follows (ESP-AT
    // `+MQTTDISCONNECTED:0+MQTTPUB:FAIL`): two lines, the URC first.
    const glued = this.urcs.unterminatedLength(raw);
    if (glued > 0) {
      this.route(raw.slice(0, glued));
      this.take(raw.slice(glued), '');
      return;
    }
    const opener = this.urcs.openedBy(raw);
    if (opener !== undefined) {
      this.open(opener, raw);
      return;
    }
    // Before the command in flight, unless it names this line as its answer by prefix: a command
    // that takes every line (ATI) must not swallow the banner of a module that restarted under it.
    const sign = this.queue.namesResponse(t) ? undefined : this.signs.check(t, Date.now());
    if (sign === 'restart') {
      this.restarted(t);
      return;
    }
    if (sign === 'same-boot') {
      this.host.note('boot ROM log continues');
      return;
    }
    const answer = this.queue.offer(t);
    if (answer === 'taken') return;
    if (answer === undefined && this.queue.takeResultUrc(t)) return;
    // A response line is offered to the URC handlers as well (`+CEREG:` can be both).
    if (!this.urcs.dispatch(raw) && answer === undefined) this.host.emit('unsolicited', raw);
  }

  /** A restart sign: 'reboot', and what waits for an answer fails (the module lost its state). */
  private restarted(sign: string): void {
    this.signs.restarted();
    this.host.emit('reboot', sign);
    this.queue.failAll((cmd) => new ModemRebootedError(cmd.shown, sign), false);
  }

  private open(handler: UrcHandler, line: string): void {
    const maxMs = handler.maxContinuationMs ?? DEFAULT_MAX_CONTINUATION_MS;
    const open: OpenContinuation = {
      handler,
      text: line,
      bytes: Buffer.byteLength(line, 'utf8'),
      maxBytes: handler.maxContinuationBytes ?? DEFAULT_MAX_CONTINUATION_BYTES,
      deadline: Date.now() + maxMs,
      // unref: this timer alone must not keep the process running.
      timer: setTimeout(() => this.abandon(open, 'time'), maxMs).unref(),
    };
    this.continuation = open;
    if (open.bytes > open.maxBytes) this.abandon(open, 'bytes');
  }

  /** A line inside an open continuation: it and the break before it belong to the URC. */
  private continueUrc(open: OpenContinuation, raw: string, breakBefore: string): void {
    if (Date.now() >= open.deadline) {
      // The time cap passed before its timer ran: this line is the first one routed normally again.
      this.abandon(open, 'time');
      this.route(raw);
      return;
    }
    const part = breakBefore + raw;
    open.text += part;
    open.bytes += Buffer.byteLength(part, 'utf8');
    if (open.bytes > open.maxBytes) {
      this.abandon(open, 'bytes');
      return;
    }
    if (this.urcs.stillOpen(open.handler, open.text)) return;
    this.end(open);
    if (!this.urcs.deliverTo(open.handler, open.text)) this.host.emit('unsolicited', open.text);
  }

  private end(open: OpenContinuation): void {
    clearTimeout(open.timer);
    this.continuation = undefined;
  }

  private abandon(open: OpenContinuation, reason: ContinuationAbandonReason): void {
    this.end(open);
    const h = open.handler;
    this.host.note(`URC ${h.name} abandoned after ${open.bytes} bytes (${reason} cap)`);
    this.urcs.call(h, () => h.onContinuationAbandoned?.(open.text, reason), undefined);
  }
}
