import type { ErrorKind } from '../at/errors';

export interface ModemErrorOptions {
  cause?: unknown;
  /** Default: the kind of `cause` when it has one, else `permanent` (a check the driver made itself). */
  kind?: ErrorKind;
  /** The MQTT CONNACK return code when the broker refused the CONNECT. */
  connack?: number;
}

/**
 * One error class for everything a modem refuses or reports as failed, so a Catch node or
 * a log line always names the command, the modem's code and what that code means.
 */
export class ModemError extends Error {
  /** The AT command (secrets redacted) or the driver step (`publish`, `attach`...). */
  readonly command: string;
  /** The modem's code as it reported it (`+QMTCONN ret 4`, `+CWJAP:2`, `CME 10`...), or '' when none. */
  readonly code: string;
  /** What the code means, in plain words. */
  readonly meaning: string;
  readonly kind: ErrorKind;
  /** The broker's CONNACK return code, when a CONNECT was refused with one. */
  readonly connack?: number;

  constructor(command: string, code: string, meaning: string, options: ModemErrorOptions = {}) {
    super(`${command}: ${code ? `${code} (${meaning})` : meaning}`, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ModemError';
    this.command = command;
    this.code = code;
    this.meaning = meaning;
    this.kind = options.kind ?? kindOfCause(options.cause) ?? 'permanent';
    if (options.connack !== undefined) this.connack = options.connack;
  }
}

/**
 * A payload or topic that the model's publish mode cannot carry. Thrown before any byte is
 * sent, so the modem state is untouched.
 */
export class PayloadRejectedError extends ModemError {
  constructor(command: string, meaning: string) {
    super(command, '', meaning, { kind: 'permanent' });
    this.name = 'PayloadRejectedError';
  }
}

/** A custom profile that does not validate; the message names the field. */
export class ProfileError extends Error {
  readonly kind: ErrorKind = 'permanent';
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

function kindOfCause(cause: unknown): ErrorKind | undefined {
  const k = (cause as { kind?: unknown } | null | undefined)?.kind;
  return k === 'transient' || k === 'permanent' || k === 'auth' ? k : undefined;
}
