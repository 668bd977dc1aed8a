/**
 * Typed failures of the AT channel. Every message names the command (already redacted by the
 * channel) so a user reading a Node-RED status or a Catch node knows what failed and why.
 */

/**
 * What a failure means for the work that hit it, so no layer has to read another's English:
 * - `transient`: the same request can succeed later (link lost, refused while the link goes
 *   down, timeout, busy, reboot, port closed): keep the work and retry;
 * - `permanent`: retrying the same request cannot help (too large, bytes the mode cannot carry,
 *   argument refused): tell the flow;
 * - `auth`: the platform refused the login (CONNACK 4/5): retrying only gets the device flagged.
 */
export type ErrorKind = 'transient' | 'permanent' | 'auth';

/** Base of all AT channel errors, so callers can tell them from other failures. */
export class AtError extends Error {
  /**
   * Transient unless a subclass says otherwise: every argument is checked before a command is
   * sent, so a refusal or a missing answer to a well-formed command is the modem's state
   * (not registered, MQTT client closed, busy), which changes.
   */
  readonly kind: ErrorKind = 'transient';

  constructor(
    message: string,
    /** The command line as sent, secrets replaced by `***` (empty when no command was involved). */
    readonly command: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AtError';
  }
}

export type AtTimeoutPhase = 'final' | 'prompt' | 'urc';

/** No final result (or prompt, or awaited URC) within the allowed time. */
export class AtTimeoutError extends AtError {
  constructor(
    command: string,
    readonly timeoutMs: number,
    readonly phase: AtTimeoutPhase = 'final',
  ) {
    const what = phase === 'prompt' ? 'the ">" data prompt' : phase === 'urc' ? 'its result URC' : 'a final result (OK/ERROR)';
    super(`AT command ${command} timed out after ${timeoutMs} ms waiting for ${what}; the modem may be busy, asleep or disconnected`, command);
    this.name = 'AtTimeoutError';
  }
}

/** The modem answered with a failure final: `ERROR`, `+CME ERROR: n`, `+CMS ERROR: n` or a command-specific one. */
export class AtCommandError extends AtError {
  readonly final: string;
  readonly cmeCode?: number | string;
  readonly cmsCode?: number | string;

  constructor(command: string, final: string, codes: { cmeCode?: number | string; cmsCode?: number | string } = {}) {
    super(`AT command ${command} failed: the modem answered "${final}"`, command);
    this.name = 'AtCommandError';
    this.final = final;
    if (codes.cmeCode !== undefined) this.cmeCode = codes.cmeCode;
    if (codes.cmsCode !== undefined) this.cmsCode = codes.cmsCode;
  }
}

/** A boot banner (`RDY`, `ready`, `Leaving the BROM`...) arrived: the modem restarted and lost its state. */
export class ModemRebootedError extends AtError {
  constructor(
    command: string,
    readonly banner: string,
  ) {
    super(`AT command ${command} was aborted: the modem restarted (it printed "${banner}"); its network and MQTT state is lost`, command);
    this.name = 'ModemRebootedError';
  }
}

/** ESP-AT answered `busy p...`/`busy s...`: it is still processing something else. Retryable. */
export class ModemBusyError extends AtError {
  readonly retryable = true;
  constructor(
    command: string,
    readonly line: string,
    readonly attempts: number,
  ) {
    super(`AT command ${command} was refused with "${line}" after ${attempts} attempt(s): the modem is still busy with a previous operation; retry later`, command);
    this.name = 'ModemBusyError';
  }
}

/** A value cannot be carried safely in an AT command of this dialect (or a template is unsafe). */
export class AtArgumentError extends AtError {
  override readonly kind: ErrorKind = 'permanent';
  constructor(message: string, command = '') {
    super(message, command);
    this.name = 'AtArgumentError';
  }
}

/** The channel or its transport closed before the command completed. */
export class AtClosedError extends AtError {
  constructor(command: string, reason?: Error) {
    const why = reason ? `: ${reason.message}` : '';
    super(
      command ? `AT command ${command} was aborted because the modem port closed${why}` : `the AT channel is closed${why}`,
      command,
      reason ? { cause: reason } : undefined,
    );
    this.name = 'AtClosedError';
  }
}
