/**
 * Runs a profile's named command templates on the AT channel and turns the channel's
 * generic failures into ModemErrors that name the command, the code and its meaning.
 */
import type { AtCommandOptions, AtResponse } from '../at/types';
import type { AtChannelPort } from './channel-port';
import { ModemError } from './errors';
import { meaningOf } from './payload-check';
import type { InitStep, ModemProfile } from './profile';

export type DriverTrace = (direction: '>>' | '<<' | '--', text: string) => void;

/** Shape of the channel's AtCommandError (src/at/errors.ts), read structurally. */
interface CommandFailure {
  command?: string;
  final?: string;
  cmeCode?: number | string;
  cmsCode?: number | string;
}

function isCommandFailure(err: unknown): err is Error & CommandFailure {
  return err instanceof Error && err.name === 'AtCommandError';
}

export class ProfileCommands {
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

  /** Runs an init/config step with its optional/fallback rules. */
  async runStep(step: InitStep, view: Record<string, unknown>): Promise<void> {
    const extra = step.timeoutMs ? { timeoutMs: step.timeoutMs } : {};
    try {
      await this.run(step.command, view, extra);
    } catch (err) {
      if (!(err instanceof ModemError)) throw err;
      if (step.fallback) {
        this.note(step.note ?? `${err.message}; trying ${step.fallback}`);
        await this.run(step.fallback, view, extra);
        return;
      }
      if (step.optional) {
        this.note(`${step.note ?? 'optional step failed'} (${err.message})`);
        return;
      }
      throw err;
    }
  }

  note(text: string): void {
    this.trace?.('--', text);
  }

  /** A URC pattern of the profile with numeric placeholders (`{{idx}}`, `{{mid}}`) filled in. */
  pattern(name: string, vars: Record<string, number> = {}): RegExp {
    const src = this.profile.urcs[name];
    if (src === undefined) throw new ModemError(name, '', `profile "${this.profile.name}" has no "${name}" URC pattern`);
    return new RegExp(
      src.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
        const v = vars[key];
        // Only integers go into patterns, so no value can change the regex's meaning.
        if (!Number.isInteger(v)) throw new Error(`URC pattern ${name} needs an integer {{${key}}}`);
        return String(v);
      }),
    );
  }

  /** Maps the channel's AtCommandError to a ModemError; other errors (timeout, reboot, closed) pass unchanged. */
  explain(err: unknown): unknown {
    if (!isCommandFailure(err)) return err;
    const command = err.command ?? 'AT command';
    if (err.cmeCode !== undefined) {
      return new ModemError(command, `+CME ERROR: ${err.cmeCode}`, meaningOf(this.profile, 'cme', err.cmeCode), { cause: err });
    }
    if (err.cmsCode !== undefined) {
      return new ModemError(command, `+CMS ERROR: ${err.cmsCode}`, 'message service error', { cause: err });
    }
    return new ModemError(command, err.final ?? 'ERROR', 'the modem refused the command', { cause: err });
  }
}
