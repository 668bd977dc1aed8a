/**
 * The command queue and its deadlines: one command in flight, the rest in a plain array;
 * two-phase commands whose final came wait for their result URC beside it. Busy refusals,
 * prompts and timeouts live here (docs/at-channel.md).
 */
import type { Transport } from '../transport/transport';
import type { ChannelHooks } from './channel';
import { AtCommand, type FinalKind } from './command';
import { AtClosedError, AtCommandError, AtTimeoutError, ModemBusyError } from './errors';
import type { RestartSigns } from './restart-signs';
import type { Resync } from './resync';

const DEFAULT_BUSY_BACKOFF_MS = 200;
const MAX_BUSY_BACKOFF_MS = 5000;
/** Cancels a Quectel `>` data entry (docs/at-channel.md, unresponsive). */
const ESC = Buffer.from([0x1b]);

export class CommandQueue {
  current: AtCommand | undefined;
  /** The last command line written: a line equal to it is its echo. */
  lastSent: string | undefined;
  private readonly pending: AtCommand[] = [];
  /** Two-phase commands whose final came, waiting for their result URC. */
  private urcWaits: AtCommand[] = [];
  private needResync = false;
  private resyncing = false;
  /** A read is being routed: the next command waits for the end of it (see receiving). */
  private receivingRead = false;
  private pumpAfterRead = false;

  constructor(
    private readonly host: ChannelHooks,
    private readonly transport: Transport,
    private readonly signs: RestartSigns,
    private readonly resync: Resync,
  ) {}

  add(cmd: AtCommand): void {
    this.pending.push(cmd);
    this.pump();
  }

  /**
   * Routes one read through `fn`. A command released by a final in it starts only after the
   * whole read: lines that arrived before a command was written can never be its answer.
   */
  receiving(fn: () => void): void {
    this.receivingRead = true;
    try {
      fn();
    } finally {
      this.receivingRead = false;
    }
    if (this.pumpAfterRead) {
      this.pumpAfterRead = false;
      this.pump();
    }
  }

  /** Starts an internal command (the resync's `AT`) at once; true when it got a success final. */
  probe(template: string, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.start(new AtCommand({ template }, template, template, timeoutMs, true, () => resolve(true), () => resolve(false)));
    });
  }

  /**
   * Offers trimmed line `t` to the command in flight: 'taken' (a final, busy or its early
   * result URC), 'response' (one of its response lines, which URC handlers may also see), or
   * undefined.
   */
  offer(t: string): 'taken' | 'response' | undefined {
    const cur = this.answering();
    if (cur === undefined) return undefined;
    if (cur.isPromptLine(t)) {
      this.onPrompt();
      return 'taken';
    }
    const kind = cur.finalKind(t);
    if (kind !== undefined || t.startsWith('busy p') || t.startsWith('busy s')) {
      // The resync's own `AT` does not count: a module can answer AT and still time out on every command.
      if (!cur.internal) this.resync.answered();
      if (kind !== undefined) this.onFinal(cur, t, kind);
      else this.onBusy(cur, t);
      return 'taken';
    }
    if (cur.phase === 'backoff') this.resumeAfterBusy(cur);
    cur.heard = true;
    if (cur.isResponse(t)) {
      cur.lines.push(t);
      return 'response';
    }
    const m = cur.earlyUrc === undefined ? cur.matchUrc(t) : undefined;
    if (m === undefined) return undefined;
    cur.earlyUrc = { line: t, match: m };
    return 'taken';
  }

  /** Hands `t` to the two-phase command waiting for it as its result URC; false when none is. */
  takeResultUrc(t: string): boolean {
    for (const cmd of this.urcWaits) {
      const m = cmd.matchUrc(t);
      if (m === undefined) continue;
      this.urcWaits = this.urcWaits.filter((c) => c !== cmd);
      cmd.resolve({ line: t, match: m });
      return true;
    }
    return false;
  }

  /** The command in flight declares `t` as its answer by name (a prefix other than the take-all ''). */
  namesResponse(t: string): boolean {
    return this.answering()?.namesResponse(t) === true;
  }

  /**
   * The command whose answer lines arrive now. One waiting for a busy retry counts: the module
   * may have been working on it all along (capture esp_at_5.txt), and then no re-send must follow.
   */
  private answering(): AtCommand | undefined {
    const cur = this.current;
    return cur !== undefined && (cur.phase === 'waiting' || cur.phase === 'backoff') ? cur : undefined;
  }

  wantsPrompt(): boolean {
    return this.current?.wantsPrompt() === true;
  }

  onPrompt(): void {
    const cur = this.current!;
    const prompt = cur.opts.prompt!;
    cur.promptSeen = true;
    // A whole-line prompt was traced as the line it is.
    if (prompt.line === undefined) this.host.trace('<<', '>');
    const writeData = () => {
      this.host.trace('>>', `[${prompt.data.length} bytes] ${prompt.data.toString('utf8')}`);
      this.write(prompt.data, cur);
    };
    const delay = prompt.delayAfterPromptMs ?? 0;
    if (delay <= 0) {
      writeData();
      return;
    }
    // The quiet time before the data runs on the command's timer; its deadline is set again after.
    cur.setTimer(delay, () => {
      writeData();
      this.armDeadline(cur);
    });
  }

  /** Fails the command in flight and the result-URC waits (a restart), and the queued ones too (close). */
  failAll(error: (cmd: AtCommand) => Error, queuedToo: boolean): void {
    const failing = [...(this.current ? [this.current] : []), ...this.urcWaits, ...(queuedToo ? this.pending.splice(0) : [])];
    this.current = undefined;
    this.urcWaits = [];
    for (const cmd of failing) cmd.reject(error(cmd));
    this.schedulePump();
  }

  pump(): void {
    if (this.host.isClosed() || this.current !== undefined || this.resyncing) return;
    if (this.needResync) {
      this.needResync = false;
      this.resyncing = true;
      void this.resync.run().finally(() => {
        this.resyncing = false;
        this.pump();
      });
      return;
    }
    const next = this.pending.shift();
    if (next !== undefined) this.start(next);
  }

  private schedulePump(): void {
    if (this.receivingRead) this.pumpAfterRead = true;
    else queueMicrotask(() => this.pump());
  }

  private start(cmd: AtCommand): void {
    this.current = cmd;
    this.send(cmd);
  }

  private send(cmd: AtCommand): void {
    cmd.beginAttempt(Date.now());
    this.lastSent = cmd.line;
    this.host.trace('>>', cmd.shown);
    this.armDeadline(cmd);
    this.write(Buffer.from(cmd.line + this.host.options.dialect.terminator, 'utf8'), cmd);
  }

  private write(data: Buffer, cmd: AtCommand): void {
    const failed = (err: unknown) => {
      if (this.current !== cmd) return;
      this.release(cmd);
      cmd.reject(new AtClosedError(cmd.shown, err instanceof Error ? err : new Error(String(err))));
      this.schedulePump();
    };
    // A transport that throws instead of rejecting fails the command the same way.
    new Promise<void>((resolve) => resolve(this.transport.write(data))).catch(failed);
  }

  /** Frees the queue slot of `cmd` (its timer is its own to clear or reuse). */
  private release(cmd: AtCommand): void {
    cmd.clearTimer();
    if (this.current === cmd) this.current = undefined;
  }

  private onFinal(cmd: AtCommand, t: string, kind: FinalKind): void {
    if (kind === 'ok-before-prompt') {
      cmd.okSeen = true;
      return;
    }
    this.release(cmd);
    if (kind === 'error') cmd.reject(cmd.failure(t));
    // Success without the prompt means the payload was never sent: not a success.
    else if (cmd.opts.prompt !== undefined && !cmd.promptSeen) cmd.reject(new AtCommandError(cmd.shown, `${t} (without the ">" prompt; the data was not sent)`));
    else this.succeed(cmd, t);
    this.schedulePump();
  }

  private succeed(cmd: AtCommand, final: string): void {
    cmd.final = final;
    this.signs.commandSucceeded(cmd.line);
    const awaited = cmd.opts.awaitUrc;
    if (awaited === undefined || cmd.earlyUrc !== undefined) {
      cmd.resolve(cmd.earlyUrc);
      return;
    }
    cmd.phase = 'urc';
    this.urcWaits.push(cmd);
    cmd.setTimer(awaited.timeoutMs, () => {
      this.urcWaits = this.urcWaits.filter((c) => c !== cmd);
      cmd.reject(new AtTimeoutError(cmd.shown, awaited.timeoutMs, 'urc'));
    });
  }

  private onTimeout(cmd: AtCommand): void {
    if (this.current !== cmd) return;
    const phase = cmd.opts.prompt !== undefined && !cmd.promptSeen ? 'prompt' : 'final';
    this.host.note(`timeout after ${cmd.timeoutMs} ms: ${cmd.shown}`);
    this.release(cmd);
    if (!cmd.internal) {
      // A module still in `>` data entry would take the resync's `AT` as data: ESC leaves it.
      if (cmd.opts.prompt !== undefined) {
        this.host.trace('>>', '<ESC>');
        this.write(ESC, cmd);
      }
      // A late reply must never become the next command's answer: drain and re-sync first.
      this.needResync = true;
    }
    cmd.reject(new AtTimeoutError(cmd.shown, cmd.timeoutMs, phase));
    if (!cmd.internal) this.resync.timedOut(cmd.shown);
    this.pump();
  }

  private onBusy(cmd: AtCommand, line: string): void {
    if (cmd.phase === 'backoff') return; // the re-send is already planned
    if (cmd.heard) {
      // The command's own work is under way (other output for it came first): `busy` is what
      // the module says to input that arrives meanwhile. Keep waiting under the same deadline.
      this.host.note(`modem busy while working on ${cmd.shown}: still waiting for its final`);
      return;
    }
    if (cmd.sends > (cmd.opts.busyRetries ?? 0)) {
      this.release(cmd);
      // The refused command may still answer later: re-sync before the next one.
      if (!cmd.internal) this.needResync = true;
      cmd.reject(new ModemBusyError(cmd.shown, line, cmd.sends));
      this.schedulePump();
      return;
    }
    cmd.phase = 'backoff';
    const base = this.host.options.busyBackoffMs ?? DEFAULT_BUSY_BACKOFF_MS;
    const delay = Math.min(base * 2 ** (cmd.sends - 1), MAX_BUSY_BACKOFF_MS);
    this.host.note(`modem busy, retrying in ${delay} ms: ${cmd.shown}`);
    cmd.setTimer(delay, () => {
      if (this.current === cmd && !this.host.isClosed()) this.send(cmd);
    });
  }

  /**
   * Output for a command during its busy backoff: the busy was not its only answer, so the
   * module took it after all. The planned re-send is dropped and the command waits for its
   * final under the deadline of the attempt it is on.
   */
  private resumeAfterBusy(cmd: AtCommand): void {
    cmd.phase = 'waiting';
    this.armDeadline(cmd);
    this.host.note(`output after busy: ${cmd.shown} is under way, not re-sent`);
  }

  /** Sets the command's timer to the deadline of the attempt it is on. */
  private armDeadline(cmd: AtCommand): void {
    cmd.setTimer(Math.max(0, cmd.sentAt + cmd.timeoutMs - Date.now()), () => this.onTimeout(cmd));
  }
}
