/**
 * AtChannel: one AT command in flight over a Transport (contract in ./types.ts).
 *
 * Line routing, in order (docs/at-channel.md; Zephyr modem_chat's three tables):
 *   an open continuation (a URC whose payload runs over line breaks) takes every line
 *   echo of the last command line -> dropped
 *   a URC glued to the rest of its line (`unterminated` handler) -> split, each part routed
 *   a line that opens a continuation -> held until its handler says it is closed
 *   final of the command in flight (OK / ERROR / +CME / +CMS / per-command finals)
 *   `busy p...` / `busy s...` -> progress when other output for the command came first;
 *     as the first answer, retry with backoff or ModemBusyError
 *   response line (matches the command's responsePrefixes; also offered to URC handlers)
 *   boot banner, boot ROM log (rebootOnGarbage) -> `reboot`, fails the command in flight and
 *     pending URC waits (so do an echo after echoOffCommand succeeded, and a bootTags prefix)
 *   result URC of a two-phase command (awaitUrc) -> consumed by that command
 *   URC handler table -> handlers; nothing took it -> `unsolicited`
 *
 * Nothing thrown by a handler, a listener or the transport escapes a data or timer callback.
 */
import { EventEmitter } from 'node:events';
import type { Transport } from '../transport/transport';
import { renderAtCommand } from './command-template';
import { AtClosedError, AtCommandError, AtTimeoutError, ModemBusyError, ModemRebootedError } from './errors';
import { Fifo } from './fifo';
import { hasPrefix } from './has-prefix';
import { LineFramer } from './line-framer';
import { regexLiteralPrefix } from './regex-literal-prefix';
import { bootTagLength, isGarbageLine, isRomLogLine } from './restart-signs';
import { SecretRedactor } from './secret-redactor';
import type { AtChannelOptions, AtCommandOptions, AtResponse, ContinuationAbandonReason, RawClaim, UrcHandler } from './types';
import { UrcTable } from './urc-table';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_RESYNC_QUIET_MS = 200;
const DEFAULT_BUSY_BACKOFF_MS = 200;
const MAX_BUSY_BACKOFF_MS = 5000;
const RESYNC_ATTEMPTS = 3;
const DEFAULT_TIMEOUTS_TO_UNRESPONSIVE = 3;
/** Cancels a Quectel `>` data entry (docs/at-channel.md, unresponsive). */
const ESC = Buffer.from([0x1b]);
/** Caps of an open continuation when its handler sets none (docs/at-channel.md, continuation). */
const DEFAULT_MAX_CONTINUATION_BYTES = 8192;
const DEFAULT_MAX_CONTINUATION_MS = 10000;
/** Garbage lines within this time of the last one belong to the same boot (one 'reboot'). */
const GARBAGE_BURST_MS = 2000;

/** Options this implementation adds to the contract (all optional). */
export interface AtChannelExtraOptions {
  /** First backoff after `busy p...`; doubles per retry (default 200 ms). */
  busyBackoffMs?: number;
}

/**
 * One shared Promise executor: it hands the settle functions over through these two slots, read
 * right after `new Promise` returns (the executor runs synchronously). A closure per command
 * was one more allocation on the hottest path.
 */
let capturedResolve: ((r: AtResponse) => void) | undefined;
let capturedReject: ((e: Error) => void) | undefined;
function captureSettlers(resolve: (r: AtResponse) => void, reject: (e: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * The lines of a command that got no response line: shared, so a command that gets none (most
 * get none, or one) allocates no array. Frozen, so no caller can fill it for everyone.
 */
const NO_LINES: string[] = Object.freeze([]) as unknown as string[];

/**
 * One command from queueing to its outcome. A class with every field set in the constructor
 * keeps one object shape on the hot path (a spread copy went dictionary-mode and cost ~10 us).
 */
class QueuedCommand {
  phase: 'queued' | 'waiting' | 'backoff' = 'queued';
  sends = 0;
  /** Set by each send (a busy retry starts over); NO_LINES until the first response line. */
  lines: string[] = NO_LINES;
  okSeen = false;
  promptSeen = false;
  /**
   * A line other than its echo arrived since this attempt was written: the module took the
   * command and is working on it, so a `busy` now is progress, not a refusal (docs/at-channel.md, busy).
   */
  heard = false;
  earlyUrc: { line: string; match: RegExpMatchArray } | undefined = undefined;
  /** Busy backoff timer (the per-command deadline is checked by the channel's watchdog). */
  timer: NodeJS.Timeout | undefined = undefined;
  /** When this attempt times out (ms since epoch); undefined once it has an outcome. */
  deadline: number | undefined = undefined;
  /** When this attempt was written (ms since epoch). */
  sentAt = 0;
  /** Literal start of the awaited URC pattern, computed once rather than per received line. */
  readonly awaitPrefix: string;
  // The options read for every line received while the command waits, copied out of the
  // caller's object once: callers pass objects of many shapes, and a property read on them per
  // line went megamorphic; on this class every read has one shape.
  readonly responsePrefixes: string[] | undefined;
  readonly okFinals: string[] | undefined;
  readonly errorFinals: string[] | undefined;
  readonly prompt: AtCommandOptions['prompt'];
  readonly awaitUrc: AtCommandOptions['awaitUrc'];

  constructor(
    readonly opts: AtCommandOptions,
    /** The rendered line, unredacted: what is written and what the echo equals. */
    readonly line: string,
    /** The line with secrets replaced, for errors and traces. */
    readonly shown: string,
    readonly timeoutMs: number,
    /** Internal commands (the resync `AT`) do not trigger another resync when they time out. */
    readonly internal: boolean,
    readonly resolve: (r: AtResponse) => void,
    readonly reject: (e: Error) => void,
  ) {
    const awaited = opts.awaitUrc;
    this.awaitPrefix = awaited === undefined ? '' : (awaited.prefix ?? regexLiteralPrefix(awaited.pattern));
    this.responsePrefixes = opts.responsePrefixes;
    this.okFinals = opts.okFinals;
    this.errorFinals = opts.errorFinals;
    this.prompt = opts.prompt;
    this.awaitUrc = awaited;
  }
}

type ActiveCommand = QueuedCommand;

interface UrcWaiter {
  command: QueuedCommand;
  pattern: RegExp;
  /** Literal start of `pattern`: a cheap filter before the regex runs. */
  prefix: string;
  response: AtResponse;
  /** When the URC wait times out (ms since epoch); checked by the channel's watchdog. */
  deadline: number;
}

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

/** Encoded command lines for constant templates (`AT+CSQ`): they are sent over and over. */
const MAX_ENCODED_LINES = 256;

/** Strips spaces, control characters and NULs at both ends (modems pad lines, boot garbage has NULs). */
function trimLine(line: string): string {
  const n = line.length;
  if (n === 0) return line;
  if (line.charCodeAt(0) > 0x20 && line.charCodeAt(n - 1) > 0x20) return line;
  let s = 0;
  let e = n;
  while (s < e && line.charCodeAt(s) <= 0x20) s++;
  while (e > s && line.charCodeAt(e - 1) <= 0x20) e--;
  return line.slice(s, e);
}

function errorCode(text: string): number | string {
  const v = text.trim();
  return /^\d+$/.test(v) ? Number(v) : v;
}

export class AtChannel extends EventEmitter {
  private readonly opts: AtChannelOptions & AtChannelExtraOptions;
  private readonly framer: LineFramer;
  private readonly urcs: UrcTable;
  private readonly secrets = new SecretRedactor();
  private readonly bannerSet = new Set<string>();
  /** First characters of the string banners: most lines (`+...`, `OK`) skip the Set lookup and its hashing. */
  private readonly bannerFirst = new Uint8Array(128);
  private readonly bannerPatterns: RegExp[] = [];
  /** Longest string banner: longer lines skip the Set lookup (hashing a long line is not free). */
  private bannerMaxLength = 0;
  private readonly queue = new Fifo<QueuedCommand>();
  private current: ActiveCommand | undefined;
  private waiters: UrcWaiter[] = [];
  private continuation: OpenContinuation | undefined;
  /** The echo-off command succeeded since the last restart: an echo now means the module restarted. */
  private echoOff = false;
  /** Command timeouts since the module last answered a command (final or busy). */
  private timeoutsInARow = 0;
  /** When the last garbage restart sign was seen (0: none yet). */
  private lastGarbageAt = 0;
  private lastSent: string | undefined;
  private needResync = false;
  private resyncing = false;
  private pumpScheduled = false;
  /** True while a received chunk is being routed: a release then waits for the end of the chunk. */
  private receiving = false;
  private pumpAfterReceive = false;
  private closed = false;
  private lastRxAt = 0;
  /**
   * One timer for all deadlines (the command in flight and the URC waits of two-phase
   * commands), re-armed only when a deadline is earlier than the one it waits for: a
   * setTimeout/clearTimeout pair per command was a fifth of the cost of a short command.
   * While the channel is idle the timer is unref'd rather than cleared (the next command
   * usually follows within microseconds), so it never holds the process.
   */
  private watchdog: NodeJS.Timeout | undefined;
  private watchdogAt = 0;
  private watchdogRefed = false;
  private readonly onWatchdog = () => {
    this.watchdog = undefined;
    const now = Date.now();
    if (this.waiters.length > 0) this.expireWaiters(now);
    const cur = this.current;
    if (cur !== undefined && cur.deadline !== undefined && now >= cur.deadline) this.onTimeout(cur);
    const next = this.nextDeadline();
    if (next !== undefined) this.armWatchdog(next);
  };
  private readonly runScheduledPump = () => {
    this.pumpScheduled = false;
    this.pump();
  };
  private readonly encodedLines = new Map<string, Buffer>();
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onTransportClose = (reason?: Error) => this.shutdown(reason instanceof Error ? reason : undefined);
  private readonly onTransportError = (err: Error) => this.traceNote(`transport error: ${err?.message ?? err}`);

  constructor(
    readonly transport: Transport,
    options: AtChannelOptions & AtChannelExtraOptions,
  ) {
    super();
    this.opts = options;
    for (const b of options.bootBanners ?? []) {
      if (typeof b === 'string') {
        const banner = b.trim();
        if (banner.length === 0) continue;
        this.bannerSet.add(banner);
        this.bannerMaxLength = Math.max(this.bannerMaxLength, banner.length);
        const first = banner.charCodeAt(0);
        if (first < 128) this.bannerFirst[first] = 1;
        else this.bannerFirst.fill(1);
      }
      else this.bannerPatterns.push(b);
    }
    this.urcs = new UrcTable((h, err) => this.traceNote(`URC handler ${h.name} threw: ${this.errorText(err)}`));
    this.framer = new LineFramer({
      onLine: (line, breakBefore) => this.onLine(line, breakBefore),
      wantsPrompt: () => this.wantsPrompt(),
      onPrompt: () => this.onPrompt(),
      // Inside an open continuation a raw-read header is payload text, not a header.
      claimRaw: (text) => (this.continuation === undefined ? this.urcs.claimRaw(text) : undefined),
      claimedHeaderLength: () => this.urcs.claimedHeaderLength,
      onRaw: (claim, payload) => this.onRaw(claim, payload),
    });
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
    this.framer.setPartialPrefixes(this.urcs.partialPrefixes());
    return () => {
      remove();
      this.framer.setPartialPrefixes(this.urcs.partialPrefixes());
    };
  }

  command(opts: AtCommandOptions): Promise<AtResponse> {
    let line: string;
    try {
      line = renderAtCommand(this.opts.dialect, opts.template, opts.view);
    } catch (err) {
      return Promise.reject(err);
    }
    const shown = this.redact(line);
    if (this.closed) return Promise.reject(new AtClosedError(shown));
    const promise = new Promise<AtResponse>(captureSettlers);
    this.queue.push(new QueuedCommand(opts, line, shown, opts.timeoutMs ?? this.opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, false, capturedResolve!, capturedReject!));
    this.pump();
    return promise;
  }

  /** Fails everything queued or waiting with AtClosedError and detaches from the transport (which stays open). */
  async close(): Promise<void> {
    this.shutdown(undefined);
  }

  // ---------------------------------------------------------------- sending

  private pump(): void {
    if (this.closed || this.current !== undefined || this.resyncing) return;
    if (this.needResync) {
      this.needResync = false;
      void this.resync();
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) this.start(next);
    else if (this.waiters.length === 0) this.idleWatchdog();
  }

  private armWatchdog(at: number): void {
    const w = this.watchdog;
    if (w !== undefined) {
      if (this.watchdogAt <= at) {
        // It fires early at worst, and then re-arms for what is still pending.
        if (!this.watchdogRefed) {
          w.ref();
          this.watchdogRefed = true;
        }
        return;
      }
      clearTimeout(w);
    }
    this.watchdogAt = at;
    this.watchdogRefed = true;
    this.watchdog = setTimeout(this.onWatchdog, Math.max(0, at - Date.now()));
  }

  /** Nothing is pending: the timer may stay (it finds nothing when it fires) but must not hold the process. */
  private idleWatchdog(): void {
    if (this.watchdog === undefined || !this.watchdogRefed) return;
    this.watchdog.unref();
    this.watchdogRefed = false;
  }

  private clearWatchdog(): void {
    if (this.watchdog === undefined) return;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  /** Earliest deadline still pending (command in flight or URC wait), if any. */
  private nextDeadline(): number | undefined {
    let at = this.current?.deadline;
    for (const w of this.waiters) if (at === undefined || w.deadline < at) at = w.deadline;
    return at;
  }

  private expireWaiters(now: number): void {
    const expired = this.waiters.filter((w) => now >= w.deadline);
    if (expired.length === 0) return;
    this.waiters = this.waiters.filter((w) => now < w.deadline);
    for (const w of expired) {
      const awaited = w.command.awaitUrc!;
      w.command.reject(new AtTimeoutError(w.command.shown, awaited.timeoutMs, 'urc'));
    }
  }

  /**
   * After a final, the next command starts only once the rest of the current chunk has been
   * routed: lines that arrived before a command was written can never be its answer.
   */
  private schedulePump(): void {
    if (this.receiving) {
      // The end of receive() is exactly "the rest of the chunk has been routed": no microtask needed.
      this.pumpAfterReceive = true;
      return;
    }
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(this.runScheduledPump);
  }

  private start(cmd: QueuedCommand): void {
    this.current = cmd;
    this.send(cmd);
  }

  private send(cmd: ActiveCommand): void {
    cmd.sends++;
    cmd.phase = 'waiting';
    cmd.okSeen = false;
    cmd.promptSeen = false;
    cmd.heard = false;
    cmd.lines = NO_LINES;
    this.lastSent = cmd.line;
    this.trace('>>', cmd.shown);
    cmd.sentAt = Date.now();
    cmd.deadline = cmd.sentAt + cmd.timeoutMs;
    this.armWatchdog(cmd.deadline);
    this.write(this.encode(cmd), cmd);
  }

  /** The bytes of the command line plus terminator; constant templates are encoded once. */
  private encode(cmd: ActiveCommand): Buffer {
    if (cmd.line !== cmd.opts.template) return Buffer.from(cmd.line + this.opts.dialect.terminator, 'utf8');
    let bytes = this.encodedLines.get(cmd.line);
    if (bytes === undefined) {
      if (this.encodedLines.size >= MAX_ENCODED_LINES) this.encodedLines.clear();
      bytes = Buffer.from(cmd.line + this.opts.dialect.terminator, 'utf8');
      this.encodedLines.set(cmd.line, bytes);
    }
    return bytes;
  }

  private write(data: Buffer, cmd: ActiveCommand): void {
    const onError = (err: unknown) => this.onWriteFailed(cmd, err);
    const t = this.transport;
    try {
      // Without a promise when the transport can (see Transport.writeWithCallback).
      if (t.writeWithCallback !== undefined) t.writeWithCallback(data, onError);
      else t.write(data).catch(onError);
    } catch (err) {
      queueMicrotask(() => onError(err));
    }
  }

  private onWriteFailed(cmd: ActiveCommand, err: unknown): void {
    if (this.current !== cmd) return;
    this.finish(cmd);
    cmd.reject(new AtClosedError(cmd.shown, err instanceof Error ? err : new Error(String(err))));
    this.schedulePump();
  }

  // ---------------------------------------------------------------- receiving

  private receive(chunk: Buffer): void {
    // Arrival times matter only to the drain phase of a resync.
    if (this.resyncing) this.lastRxAt = Date.now();
    if (this.closed) return;
    this.receiving = true;
    try {
      this.framer.push(chunk);
    } catch (err) {
      // A bug here must not take down Node-RED; the framer state is reset to resynchronise.
      this.traceNote(`framing failed: ${this.errorText(err)}`);
      this.framer.reset();
    } finally {
      this.receiving = false;
    }
    if (this.pumpAfterReceive) {
      this.pumpAfterReceive = false;
      this.pump();
    }
  }

  private onLine(raw: string, breakBefore: string): void {
    if (this.opts.trace) this.trace('<<', raw);
    this.take(raw, breakBefore);
  }

  /** A line (or the rest of one after an unterminated URC): to the open continuation, or routed. */
  private take(raw: string, breakBefore: string): void {
    if (this.continuation !== undefined) {
      this.continueUrc(this.continuation, raw, breakBefore);
      return;
    }
    this.route(raw);
  }

  /** Routes one line outside any continuation, through the tables in the order of the header comment. */
  private route(raw: string): void {
    const t = trimLine(raw);
    if (t.length === 0) return;
    if (t === this.lastSent) {
      // Echo, whether or not echo is on; after echo was switched off, a sign of a restart.
      if (this.echoOff) this.onReboot(t);
      return;
    }

    const tags = this.opts.bootTags;
    if (tags !== undefined && tags.length > 0) {
      const tag = bootTagLength(t, tags);
      if (tag > 0) {
        this.onReboot(t.slice(0, tag));
        if (tag < t.length) this.take(t.slice(tag), '');
        return;
      }
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
      this.openContinuation(opener, raw);
      return;
    }

    const cur = this.current;
    let isResponse = false;
    // A command waiting for a busy retry still takes its final: the module may have been
    // working on it all along (capture esp_at_5.txt), and then no re-send must follow.
    if (cur !== undefined && (cur.phase === 'waiting' || cur.phase === 'backoff')) {
      if (this.tryFinal(cur, t)) {
        // The resync's own `AT` does not count: a module can answer AT and still time out on every command.
        if (!cur.internal) this.timeoutsInARow = 0;
        return;
      }
      // First-character gates before each startsWith: this runs for every line while a command
      // waits, and most lines are URCs starting with `+`.
      if (t.charCodeAt(0) === 0x62 /* b */ && (t.startsWith('busy p') || t.startsWith('busy s'))) {
        if (!cur.internal) this.timeoutsInARow = 0;
        this.onBusy(cur, t);
        return;
      }
      if (cur.phase === 'backoff') this.resumeAfterBusy(cur);
      cur.heard = true;
      const prefixes = cur.responsePrefixes;
      if (prefixes !== undefined) {
        for (let i = 0; i < prefixes.length; i++) {
          if (hasPrefix(t, prefixes[i])) {
            if (cur.lines === NO_LINES) cur.lines = [t];
            else cur.lines.push(t);
            isResponse = true;
            break;
          }
        }
      }
      const awaited = cur.awaitUrc;
      if (!isResponse && awaited !== undefined && cur.earlyUrc === undefined && hasPrefix(t, cur.awaitPrefix)) {
        awaited.pattern.lastIndex = 0;
        const m = awaited.pattern.exec(t);
        if (m !== null) {
          cur.earlyUrc = { line: t, match: m };
          return;
        }
      }
    }
    if (!isResponse && this.isBanner(t)) {
      this.onReboot(t);
      return;
    }
    if (!isResponse && this.opts.rebootOnGarbage && (isGarbageLine(t) || isRomLogLine(t))) {
      this.onGarbage(t);
      return;
    }
    if (!isResponse && this.waiters.length > 0 && this.tryWaiters(t)) return;
    const handled = this.urcs.dispatch(raw);
    if (!handled && !isResponse) this.safeEmit('unsolicited', raw);
  }

  private tryFinal(cur: ActiveCommand, t: string): boolean {
    if (t === 'OK' || (cur.okFinals !== undefined && cur.okFinals.includes(t))) {
      const prompt = cur.prompt;
      if (prompt !== undefined && !cur.promptSeen) {
        if (prompt.okBeforePrompt && t === 'OK' && !cur.okSeen) {
          cur.okSeen = true;
          return true;
        }
        // Success without the prompt means the payload was never sent: not a success.
        this.fail(cur, new AtCommandError(cur.shown, `${t} (without the ">" prompt; the data was not sent)`));
        return true;
      }
      this.succeed(cur, t);
      return true;
    }
    // `+CME ERROR:` / `+CMS ERROR:`: tested only for lines starting `+CM`.
    if (t.charCodeAt(0) === 0x2b /* + */ && t.charCodeAt(1) === 0x43 /* C */ && t.charCodeAt(2) === 0x4d /* M */) {
      if (t.startsWith('+CME ERROR:')) {
        this.fail(cur, new AtCommandError(cur.shown, t, { cmeCode: errorCode(t.slice(11)) }));
        return true;
      }
      if (t.startsWith('+CMS ERROR:')) {
        this.fail(cur, new AtCommandError(cur.shown, t, { cmsCode: errorCode(t.slice(11)) }));
        return true;
      }
    }
    if (t === 'ERROR' || (cur.errorFinals !== undefined && cur.errorFinals.includes(t))) {
      this.fail(cur, new AtCommandError(cur.shown, t));
      return true;
    }
    return false;
  }

  private tryWaiters(t: string): boolean {
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      if (!hasPrefix(t, w.prefix)) continue;
      w.pattern.lastIndex = 0;
      const m = w.pattern.exec(t);
      if (m === null) continue;
      this.removeWaiter(i);
      // A literal, not a spread: `{ ...r, urc }` took microseconds per call here.
      const r = w.response;
      w.command.resolve({ command: r.command, lines: r.lines, final: r.final, urc: t, urcMatch: m });
      if (this.waiters.length === 0 && this.current === undefined && this.queue.length === 0) this.idleWatchdog();
      return true;
    }
    return false;
  }

  /** Removes waiters[i] in place: splice allocated an array of the removed element per URC. */
  private removeWaiter(i: number): void {
    const waiters = this.waiters;
    const last = waiters.length - 1;
    for (let k = i; k < last; k++) waiters[k] = waiters[k + 1];
    waiters.pop();
  }

  private isBanner(t: string): boolean {
    const first = t.charCodeAt(0);
    if (t.length <= this.bannerMaxLength && (first >= 128 || this.bannerFirst[first] === 1) && this.bannerSet.has(t)) return true;
    const patterns = this.bannerPatterns;
    if (patterns.length === 0) return false;
    for (const re of patterns) {
      re.lastIndex = 0;
      if (re.test(t)) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- continuation

  private openContinuation(handler: UrcHandler, line: string): void {
    const maxMs = handler.maxContinuationMs ?? DEFAULT_MAX_CONTINUATION_MS;
    const open: OpenContinuation = {
      handler,
      text: line,
      bytes: Buffer.byteLength(line, 'utf8'),
      maxBytes: handler.maxContinuationBytes ?? DEFAULT_MAX_CONTINUATION_BYTES,
      deadline: Date.now() + maxMs,
      timer: setTimeout(() => {
        if (this.continuation === open) this.abandonContinuation(open, 'time');
      }, maxMs),
    };
    // Like the idle watchdog, this timer alone must not keep the process running.
    open.timer.unref();
    this.continuation = open;
    this.framer.keepBreaks = true;
    if (open.bytes > open.maxBytes) this.abandonContinuation(open, 'bytes');
  }

  /** A line inside an open continuation: it and the break before it belong to the URC. */
  private continueUrc(open: OpenContinuation, raw: string, breakBefore: string): void {
    if (Date.now() >= open.deadline) {
      // The time cap passed before its timer ran: this line is the first one routed normally again.
      this.abandonContinuation(open, 'time');
      this.route(raw);
      return;
    }
    const part = breakBefore + raw;
    open.text += part;
    open.bytes += Buffer.byteLength(part, 'utf8');
    if (open.bytes > open.maxBytes) {
      this.abandonContinuation(open, 'bytes');
      return;
    }
    if (this.urcs.stillOpen(open.handler, open.text)) return;
    this.endContinuation(open);
    if (!this.urcs.deliverTo(open.handler, open.text)) this.safeEmit('unsolicited', open.text);
  }

  private endContinuation(open: OpenContinuation): void {
    clearTimeout(open.timer);
    if (this.continuation === open) {
      this.continuation = undefined;
      this.framer.keepBreaks = false;
    }
  }

  private abandonContinuation(open: OpenContinuation, reason: ContinuationAbandonReason): void {
    this.endContinuation(open);
    const h = open.handler;
    this.traceNote(`URC ${h.name} abandoned after ${open.bytes} bytes (${reason} cap)`);
    if (h.onContinuationAbandoned === undefined) return;
    try {
      h.onContinuationAbandoned(open.text, reason);
    } catch (err) {
      this.traceNote(`URC handler ${h.name} threw: ${this.errorText(err)}`);
    }
  }

  private wantsPrompt(): boolean {
    if (this.continuation !== undefined) return false;
    const cur = this.current;
    if (cur === undefined || cur.phase !== 'waiting' || cur.promptSeen) return false;
    const p = cur.prompt;
    return p !== undefined && (!p.okBeforePrompt || cur.okSeen);
  }

  private onPrompt(): void {
    const cur = this.current!;
    cur.promptSeen = true;
    if (this.opts.trace) this.trace('<<', '>');
    const prompt = cur.prompt!;
    const writeData = () => {
      if (this.current !== cur || this.closed) return;
      if (this.opts.trace) this.trace('>>', `[${prompt.data.length} bytes] ${prompt.data.toString('utf8')}`);
      this.write(prompt.data, cur);
    };
    if (prompt.delayAfterPromptMs && prompt.delayAfterPromptMs > 0) setTimeout(writeData, prompt.delayAfterPromptMs);
    else writeData();
  }

  private onRaw(claim: RawClaim, payload: Buffer): void {
    if (this.opts.trace) this.trace('<<', `[raw ${payload.length} bytes] ${payload.toString('utf8')}`);
    try {
      claim.onRaw(payload);
    } catch (err) {
      this.traceNote(`raw read handler threw: ${this.errorText(err)}`);
    }
  }

  // ---------------------------------------------------------------- outcomes

  /** Clears the command's timer and releases the queue slot. */
  private finish(cmd: ActiveCommand): void {
    if (cmd.timer !== undefined) clearTimeout(cmd.timer);
    cmd.timer = undefined;
    cmd.deadline = undefined;
    if (this.current === cmd) this.current = undefined;
  }

  private succeed(cmd: ActiveCommand, final: string): void {
    this.finish(cmd);
    const echoOff = this.opts.echoOffCommand;
    if (echoOff !== undefined && cmd.line.toUpperCase() === echoOff.toUpperCase()) this.echoOff = true;
    const awaited = cmd.awaitUrc;
    if (awaited === undefined) {
      cmd.resolve({ command: cmd.shown, lines: cmd.lines, final });
    } else if (cmd.earlyUrc !== undefined) {
      cmd.resolve({ command: cmd.shown, lines: cmd.lines, final, urc: cmd.earlyUrc.line, urcMatch: cmd.earlyUrc.match });
    } else {
      const deadline = Date.now() + awaited.timeoutMs;
      this.waiters.push({
        command: cmd,
        pattern: awaited.pattern,
        prefix: cmd.awaitPrefix,
        response: { command: cmd.shown, lines: cmd.lines, final },
        deadline,
      });
      this.armWatchdog(deadline);
    }
    this.schedulePump();
  }

  private fail(cmd: ActiveCommand, err: Error): void {
    this.finish(cmd);
    cmd.reject(err);
    this.schedulePump();
  }

  private onTimeout(cmd: ActiveCommand): void {
    if (this.current !== cmd) return;
    const phase = cmd.prompt !== undefined && !cmd.promptSeen ? 'prompt' : 'final';
    this.traceNote(`timeout after ${cmd.timeoutMs} ms: ${cmd.shown}`);
    this.finish(cmd);
    if (!cmd.internal) {
      // A module still in `>` data entry would take the resync's `AT` as data: ESC leaves it.
      if (cmd.prompt !== undefined) {
        this.trace('>>', '<ESC>');
        this.write(ESC, cmd);
      }
      // A late reply must never become the next command's answer: drain and re-sync first.
      this.needResync = true;
    }
    cmd.reject(new AtTimeoutError(cmd.shown, cmd.timeoutMs, phase));
    if (!cmd.internal) this.countTimeout(cmd);
    this.pump();
  }

  /** ModemManager's rule: N command timeouts in a row mean the modem no longer answers. */
  private countTimeout(cmd: ActiveCommand): void {
    this.timeoutsInARow++;
    const limit = this.opts.timeoutsToUnresponsive ?? DEFAULT_TIMEOUTS_TO_UNRESPONSIVE;
    if (this.timeoutsInARow < limit) return;
    this.timeoutsInARow = 0;
    this.safeEmit('unresponsive', `${limit} command timeouts in a row (the last: ${cmd.shown})`);
  }

  private onBusy(cmd: ActiveCommand, line: string): void {
    if (cmd.phase === 'backoff') return; // the re-send is already planned
    if (cmd.heard) {
      // The command's own work is under way (other output for it came first): `busy` is what
      // the module says to input that arrives meanwhile. Keep waiting under the same deadline.
      this.traceNote(`modem busy while working on ${cmd.shown}: still waiting for its final`);
      return;
    }
    const retries = cmd.opts.busyRetries ?? 0;
    if (cmd.sends > retries) {
      this.finish(cmd);
      // The refused command may still answer later (P9): re-sync before the next one.
      if (!cmd.internal) this.needResync = true;
      cmd.reject(new ModemBusyError(cmd.shown, line, cmd.sends));
      this.schedulePump();
      return;
    }
    cmd.deadline = undefined;
    cmd.phase = 'backoff';
    const base = this.opts.busyBackoffMs ?? DEFAULT_BUSY_BACKOFF_MS;
    const delay = Math.min(base * 2 ** (cmd.sends - 1), MAX_BUSY_BACKOFF_MS);
    this.traceNote(`modem busy, retrying in ${delay} ms: ${cmd.shown}`);
    cmd.timer = setTimeout(() => {
      cmd.timer = undefined;
      if (this.current !== cmd || this.closed) return;
      this.send(cmd);
    }, delay);
  }

  /**
   * Output for a command during its busy backoff: the busy was not its only answer, so the
   * module took it after all. The planned re-send is dropped and the command waits for its
   * final under the deadline of the attempt it is on.
   */
  private resumeAfterBusy(cmd: ActiveCommand): void {
    if (cmd.timer !== undefined) clearTimeout(cmd.timer);
    cmd.timer = undefined;
    cmd.phase = 'waiting';
    cmd.deadline = cmd.sentAt + cmd.timeoutMs;
    this.armWatchdog(cmd.deadline);
    this.traceNote(`output after busy: ${cmd.shown} is under way, not re-sent`);
  }

  /** A line of a boot ROM log: one restart per burst of them. */
  private onGarbage(line: string): void {
    const now = Date.now();
    const sameBoot = this.lastGarbageAt !== 0 && now - this.lastGarbageAt < GARBAGE_BURST_MS;
    this.lastGarbageAt = now;
    if (sameBoot) {
      this.traceNote('boot ROM log continues');
      return;
    }
    this.onReboot(line);
  }

  private onReboot(banner: string): void {
    this.echoOff = false;
    this.safeEmit('reboot', banner);
    const cur = this.current;
    if (cur !== undefined) {
      this.finish(cur);
      cur.reject(new ModemRebootedError(cur.shown, banner));
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      w.command.reject(new ModemRebootedError(w.command.shown, banner));
    }
    this.schedulePump();
  }

  // ---------------------------------------------------------------- resync

  private async resync(): Promise<void> {
    this.resyncing = true;
    try {
      for (let attempt = 1; attempt <= RESYNC_ATTEMPTS && !this.closed; attempt++) {
        await this.waitQuiet();
        if (this.closed) return;
        if (await this.sendInternal('AT')) {
          // A second OK (the late reply's and ours) lands here as unsolicited, not in the next command.
          await this.waitQuiet();
          return;
        }
      }
      if (!this.closed) {
        this.traceNote('resync: the modem did not answer AT with OK; continuing');
        this.safeEmit('unresponsive', `no OK to AT in ${RESYNC_ATTEMPTS} resync attempts`);
      }
    } catch (err) {
      this.traceNote(`resync failed: ${this.errorText(err)}`);
    } finally {
      this.resyncing = false;
      this.pump();
    }
  }

  /** Resolves after resyncQuietMs without received bytes (bounded, so a chatty modem cannot stall the queue). */
  private waitQuiet(): Promise<void> {
    const quiet = this.opts.resyncQuietMs ?? DEFAULT_RESYNC_QUIET_MS;
    const deadline = Date.now() + Math.max(2000, quiet * 10);
    // The drain counts from now: only bytes from here on can postpone it.
    this.lastRxAt = Date.now();
    return new Promise((resolve) => {
      const check = () => {
        const now = Date.now();
        const idleFor = now - this.lastRxAt;
        if (this.closed || idleFor >= quiet || now >= deadline) {
          this.resyncTimer = undefined;
          resolve();
          return;
        }
        this.resyncTimer = setTimeout(check, Math.min(quiet - idleFor, deadline - now) + 1);
      };
      this.resyncWake = () => {
        if (this.resyncTimer !== undefined) clearTimeout(this.resyncTimer);
        this.resyncTimer = undefined;
        resolve();
      };
      this.resyncTimer = setTimeout(check, quiet);
    });
  }

  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncWake: (() => void) | undefined;

  private sendInternal(template: string): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timeoutMs = Math.min(this.opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, 2000);
      this.start(
        new QueuedCommand(
          { template },
          template,
          template,
          timeoutMs,
          true,
          () => resolve(true),
          () => resolve(false),
        ),
      );
    });
  }

  // ---------------------------------------------------------------- closing

  private shutdown(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onTransportClose);
    // Keep an 'error' listener: a transport without any would crash the process on error.
    this.resyncWake?.();
    this.clearWatchdog();
    const cur = this.current;
    if (cur !== undefined) {
      this.finish(cur);
      cur.reject(new AtClosedError(cur.shown, reason));
    }
    for (const q of this.queue.drain()) q.reject(new AtClosedError(q.shown, reason));
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      w.command.reject(new AtClosedError(w.command.shown, reason));
    }
    this.framer.reset();
    if (this.continuation !== undefined) this.abandonContinuation(this.continuation, 'closed');
    this.safeEmit('close', reason);
  }

  // ---------------------------------------------------------------- trace and events

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
  private traceNote(text: string): void {
    this.trace('<<', `-- ${text}`);
  }

  private errorText(err: unknown): string {
    return this.secrets.redact(err instanceof Error ? err.message : String(err));
  }

  private safeEmit(event: string, arg: unknown): void {
    try {
      this.emit(event, arg);
    } catch (err) {
      this.traceNote(`a '${event}' listener threw: ${this.errorText(err)}`);
    }
  }
}
