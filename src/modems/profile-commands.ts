/**
 * Runs a profile's named command templates on the AT channel and turns the channel's
 * generic failures into ModemErrors that name the command, the code and its meaning.
 */
import { AtCommandError, AtTimeoutError, ModemBusyError, ModemRebootedError } from '../at/errors';
import { literalPrefixOfSource } from './regex-literal-prefix';
import type { AtCommandOptions, AtResponse } from '../at/types';
import type { AtChannelPort } from './channel-port';
import { ModemError } from './errors';
import { meaningOf } from './payload-check';
import type { InitStep, ModemProfile } from './profile';

/**
 * A failure that may be skipped (an optional step, a stale-state cleanup): a modem answer or a
 * timeout, but never a reboot, which invalidates everything that follows.
 */
export function isSkippable(err: unknown): err is ModemError {
  return err instanceof ModemError && !(err.cause instanceof ModemRebootedError);
}

export type DriverTrace = (direction: '>>' | '<<' | '--', text: string) => void;

/** A query's answer: the command as sent, its information lines, and the capture of each line its pattern matched. */
export interface QueryAnswer {
  command: string;
  lines: readonly string[];
  values: string[];
}

/** An ERR CODE line older than this does not belong to the failing command. */
const ERR_CODE_MAX_AGE_MS = 2000;

/**
 * The prefix a query's answer lines carry by the AT convention: `AT+CEREG?` and `AT+CEREG=...`
 * answer `+CEREG:`. Undefined for a template that does not have that shape.
 */
export function answerPrefixOf(template: string): string | undefined {
  const m = /^AT([+$%^#&][A-Za-z][\w]*)(?:\?|=|$)/.exec(template);
  return m ? `${m[1]}:` : undefined;
}

/** A regex source that matches `text` literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class ProfileCommands {
  /** One compiled pattern per awaited URC kind (see awaitUrc). */
  private readonly sharedPatterns = new Map<string, RegExp>();
  /** Last ESP-AT `ERR CODE:0x01xxyyyy` seen (AT+SYSLOG=1), attached to the next command failure. */
  private lastErrCode?: { code: string; meaning: string; at: number };

  constructor(
    readonly channel: AtChannelPort,
    readonly profile: ModemProfile,
    private readonly trace?: DriverTrace,
  ) {}

  timeout(name: string): number {
    return this.profile.timeouts[name] ?? this.profile.timeouts.default ?? 5000;
  }

  template(name: string): string {
    const t = this.profile.commands[name];
    if (t === undefined) throw new ModemError(name, '', `profile "${this.profile.name}" has no "${name}" command`);
    return t;
  }

  /** The line as the modem would receive it (escaped), for size checks before sending. */
  render(name: string, view: Record<string, unknown>): string {
    return this.channel.render(this.template(name), view);
  }

  async run(name: string, view: Record<string, unknown> = {}, extra: Partial<AtCommandOptions> = {}): Promise<AtResponse> {
    const opts: AtCommandOptions = {
      template: this.template(name),
      view,
      timeoutMs: this.timeout(name),
      ...(this.profile.busyRetries ? { busyRetries: this.profile.busyRetries } : {}),
      ...extra,
    };
    try {
      return await this.channel.command(opts);
    } catch (err) {
      throw this.explain(err);
    }
  }

  /**
   * Runs a query command and reads its answer lines with the profile's response pattern for it
   * (`responses[name]`, else `fallback`, a pattern source built from the answer's prefix).
   * The channel collects the lines that start with the pattern's literal start, so the command
   * name in the answer comes from the profile, never from this code.
   */
  async query(name: string, view: Record<string, unknown> = {}, fallback?: (answerPrefix: string) => string): Promise<QueryAnswer> {
    const source = this.responseSource(name, fallback);
    const pattern = new RegExp(source);
    const res = await this.run(name, view, { responsePrefixes: [literalPrefixOfSource(source).prefix] });
    const values = res.lines.map((l) => pattern.exec(l.trim())?.[1]).filter((v): v is string => v !== undefined);
    return { command: res.command, lines: res.lines, values };
  }

  /** The response pattern source of a query: the profile's, or the fallback given the answer prefix its template implies. */
  responseSource(name: string, fallback?: (answerPrefix: string) => string): string {
    const own = this.profile.responses?.[name];
    if (own !== undefined) return own;
    const prefix = answerPrefixOf(this.template(name));
    if (fallback && prefix) return fallback(prefix);
    throw new ModemError(name, '', `profile "${this.profile.name}" has no response pattern for "${name}" (add responses.${name})`);
  }

  /**
   * Runs an init/config step with its optional/fallback rules. Resolves true when the step (or
   * its fallback) was applied, false when an optional step was refused (a trace note says so).
   */
  async runStep(step: InitStep, view: Record<string, unknown>): Promise<boolean> {
    const extra = step.timeoutMs ? { timeoutMs: step.timeoutMs } : {};
    let failure: ModemError;
    try {
      await this.run(step.command, view, extra);
      return true;
    } catch (err) {
      if (!isSkippable(err)) throw err;
      failure = err;
    }
    if (step.fallback) {
      this.note(`${step.note ?? 'refused'} (${failure.message}); trying ${step.fallback}`);
      try {
        await this.run(step.fallback, view, extra);
        return true;
      } catch (err) {
        if (!isSkippable(err) || !step.optional) throw err;
        failure = err;
      }
    }
    if (step.optional) {
      this.note(`${step.note ?? 'optional step failed'} (${failure.message})`);
      return false;
    }
    throw failure;
  }

  /** Records an ESP-AT `ERR CODE:0x01<xx><yyyy>` line with its meaning from the result tables. */
  recordErrCode(category: string, detail: string): void {
    const cat = meaningOf(this.profile, 'errCategory', category);
    const det = this.profile.results.mqttErr?.[detail.toLowerCase()];
    this.lastErrCode = { code: `ERR CODE:0x01${category}${detail}`, meaning: det ? `${cat}: ${det}` : cat, at: Date.now() };
  }

  private takeErrCode(): { code: string; meaning: string } | undefined {
    const e = this.lastErrCode;
    this.lastErrCode = undefined;
    return e && Date.now() - e.at <= ERR_CODE_MAX_AGE_MS ? e : undefined;
  }

  note(text: string): void {
    this.trace?.('--', text);
  }

  /** The literal start every line of a URC pattern has (`+QMTSTAT: `): the channel's routing prefix for it. */
  urcPrefix(name: string): string {
    const src = this.profile.urcs[name];
    if (src === undefined) throw new ModemError(name, '', `profile "${this.profile.name}" has no "${name}" URC pattern`);
    // A placeholder's value differs per line, so the prefix ends before the first one.
    return literalPrefixOfSource(src.split('{{')[0]).prefix;
  }

  /** A URC pattern of the profile with numeric placeholders (`{{idx}}`, `{{mid}}`) filled in. */
  pattern(name: string, vars: Record<string, number> = {}): RegExp {
    return new RegExp(this.patternSource(name, vars).source);
  }

  /**
   * The awaited result URC of a two-phase command, in the form that compiles nothing per
   * command: one pattern per URC kind with every placeholder as `-?\d+` (cached), and the
   * values in a literal prefix (`+QMTPUB: 0,7,`) the line must start with. When a placeholder
   * is not inside the pattern's literal start, or a digit could follow it there, the prefix
   * would not pin it down: then the pattern is built with the values, as pattern() does.
   */
  awaitUrc(name: string, vars: Record<string, number>, timeoutMs: number): { pattern: RegExp; prefix?: string; timeoutMs: number } {
    const { source, placeholderEnds } = this.patternSource(name, vars);
    const { prefix, consumed } = literalPrefixOfSource(source);
    const pinned = placeholderEnds.every((end) => end < consumed && !/[\d-]/.test(source[end]));
    if (!pinned) return { pattern: new RegExp(source), timeoutMs };
    let shared = this.sharedPatterns.get(name);
    if (shared === undefined) {
      shared = new RegExp(this.profile.urcs[name]!.replace(/\{\{(\w+)\}\}/g, '(?:-?\\d+)'));
      this.sharedPatterns.set(name, shared);
    }
    return { pattern: shared, prefix, timeoutMs };
  }

  /** The pattern source with values filled in, and where each value ends in it. */
  private patternSource(name: string, vars: Record<string, number>): { source: string; placeholderEnds: number[] } {
    const src = this.profile.urcs[name];
    if (src === undefined) throw new ModemError(name, '', `profile "${this.profile.name}" has no "${name}" URC pattern`);
    const placeholderEnds: number[] = [];
    let source = '';
    let last = 0;
    for (const m of src.matchAll(/\{\{(\w+)\}\}/g)) {
      const v = vars[m[1]];
      // Only integers go into patterns, so no value can change the regex's meaning.
      if (!Number.isInteger(v)) throw new Error(`URC pattern ${name} needs an integer {{${m[1]}}}`);
      source += src.slice(last, m.index) + String(v);
      placeholderEnds.push(source.length);
      last = m.index! + m[0].length;
    }
    source += src.slice(last);
    return { source, placeholderEnds };
  }

  /**
   * Maps the channel's failures to ModemErrors naming command, code and meaning. The original
   * error stays as `cause`; AtArgumentError (a value refused before sending) and AtClosedError
   * (the port is gone) pass unchanged, they are not answers of the modem.
   */
  explain(err: unknown): unknown {
    if (err instanceof AtCommandError) {
      if (err.cmeCode !== undefined) {
        return new ModemError(err.command, `+CME ERROR: ${err.cmeCode}`, meaningOf(this.profile, 'cme', err.cmeCode), { cause: err });
      }
      if (err.cmsCode !== undefined) {
        return new ModemError(err.command, `+CMS ERROR: ${err.cmsCode}`, 'message service error', { cause: err });
      }
      const detail = this.takeErrCode();
      if (detail) return new ModemError(err.command, `${err.final} (${detail.code})`, detail.meaning, { cause: err });
      return new ModemError(err.command, err.final, 'the modem refused the command', { cause: err });
    }
    if (err instanceof AtTimeoutError) {
      return new ModemError(err.command, 'timeout', `no ${err.phase === 'final' ? '' : `${err.phase} `}answer within ${err.timeoutMs} ms`, { cause: err });
    }
    if (err instanceof ModemBusyError) {
      return new ModemError(err.command, err.line, `the modem stayed busy after ${err.attempts} attempts`, { cause: err });
    }
    if (err instanceof ModemRebootedError) {
      return new ModemError(err.command, err.banner, 'the modem restarted during the command; it must be initialised again', { cause: err });
    }
    return err;
  }
}
