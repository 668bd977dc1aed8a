/**
 * One AT command from queueing to its outcome: its options, its state (phase, deadline,
 * collected lines) and its one timer. It settles itself: the first outcome wins, later ones
 * are ignored.
 */
import { AtCommandError } from './errors';
import type { AtCommandOptions, AtResponse } from './types';
import { execFresh } from './urc-table';

/**
 * queued: not written yet; waiting: written, waiting for its prompt or final; backoff: refused
 * with `busy`, waiting to be re-sent; urc: final seen, waiting for its result URC; done: settled.
 */
export type CommandPhase = 'queued' | 'waiting' | 'backoff' | 'urc' | 'done';

/** What a line means to the command in flight. */
export type FinalKind = 'ok' | 'ok-before-prompt' | 'error';

function errorCode(text: string): number | string {
  const v = text.trim();
  return /^\d+$/.test(v) ? Number(v) : v;
}

export class AtCommand {
  phase: CommandPhase = 'queued';
  /** Attempts written so far (busy retries add one each). */
  sends = 0;
  /** Response lines of the current attempt. */
  lines: string[] = [];
  /** okBeforePrompt commands: the `OK` before the `>` has come. */
  okSeen = false;
  promptSeen = false;
  /**
   * A line other than its echo arrived since this attempt was written: the module took the
   * command and is working on it, so a `busy` now is progress, not a refusal (docs/at-channel.md, busy).
   */
  heard = false;
  /** The awaited result URC, when it came before the final. */
  earlyUrc: { line: string; match: RegExpMatchArray } | undefined;
  /** When the current attempt was written (ms since epoch). */
  sentAt = 0;
  /** The final, once seen (for the URC wait of a two-phase command). */
  final = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly opts: AtCommandOptions,
    /** The rendered line, unredacted: what is written and what the echo equals. */
    readonly line: string,
    /** The line with secrets replaced, for errors and traces. */
    readonly shown: string,
    readonly timeoutMs: number,
    /** Internal commands (the resync `AT`) do not trigger another resync when they time out. */
    readonly internal: boolean,
    private readonly onResolve: (r: AtResponse) => void,
    private readonly onReject: (e: Error) => void,
  ) {}

  /** Runs `fn` after `ms` unless the command settles or sets another timer first. */
  setTimer(ms: number, fn: () => void): void {
    this.clearTimer();
    this.timer = setTimeout(fn, ms);
  }

  clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts an attempt: state of the previous one is forgotten. */
  beginAttempt(now: number): void {
    this.sends++;
    this.phase = 'waiting';
    this.okSeen = false;
    this.promptSeen = false;
    this.heard = false;
    this.lines = [];
    this.sentAt = now;
  }

  resolve(urc?: { line: string; match: RegExpMatchArray }): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.clearTimer();
    const response: AtResponse = { command: this.shown, lines: this.lines, final: this.final };
    if (urc !== undefined) {
      response.urc = urc.line;
      response.urcMatch = urc.match;
    }
    this.onResolve(response);
  }

  reject(err: Error): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.clearTimer();
    this.onReject(err);
  }

  /** Written and waiting for its `>` (after its `OK`, for okBeforePrompt commands). */
  wantsPrompt(): boolean {
    const prompt = this.opts.prompt;
    return prompt !== undefined && prompt.line === undefined && this.phase === 'waiting' && !this.promptSeen && (!prompt.okBeforePrompt || this.okSeen);
  }

  /** Trimmed line `t` is the whole-line prompt (`CONNECT`) this command waits for. */
  isPromptLine(t: string): boolean {
    const prompt = this.opts.prompt;
    return prompt?.line !== undefined && prompt.line === t && this.phase === 'waiting' && !this.promptSeen;
  }

  /** Whether trimmed line `t` is a final of this command, and which. */
  finalKind(t: string): FinalKind | undefined {
    if (t === 'OK' || this.opts.okFinals?.includes(t)) {
      const prompt = this.opts.prompt;
      return prompt?.okBeforePrompt && t === 'OK' && !this.promptSeen && !this.okSeen ? 'ok-before-prompt' : 'ok';
    }
    if (t === 'ERROR' || t.startsWith('+CME ERROR:') || t.startsWith('+CMS ERROR:') || this.opts.errorFinals?.includes(t)) return 'error';
    return undefined;
  }

  /** The AtCommandError for failure final `t`. */
  failure(t: string): AtCommandError {
    if (t.startsWith('+CME ERROR:')) return new AtCommandError(this.shown, t, { cmeCode: errorCode(t.slice(11)) });
    if (t.startsWith('+CMS ERROR:')) return new AtCommandError(this.shown, t, { cmsCode: errorCode(t.slice(11)) });
    return new AtCommandError(this.shown, t);
  }

  /** True when `t` starts with one of the command's response prefixes. */
  isResponse(t: string): boolean {
    return this.opts.responsePrefixes?.some((p) => t.startsWith(p)) === true;
  }

  /** True when `t` starts with one of the command's non-empty response prefixes (not the take-all ''). */
  namesResponse(t: string): boolean {
    return this.opts.responsePrefixes?.some((p) => p !== '' && t.startsWith(p)) === true;
  }

  /** The awaited result URC's match on `t`, if `t` is it. */
  matchUrc(t: string): RegExpMatchArray | undefined {
    const awaited = this.opts.awaitUrc;
    if (awaited === undefined || (awaited.prefix !== undefined && !t.startsWith(awaited.prefix))) return undefined;
    return execFresh(awaited.pattern, t) ?? undefined;
  }
}
