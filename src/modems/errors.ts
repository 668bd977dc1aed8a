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

  constructor(command: string, code: string, meaning: string, options?: { cause?: unknown }) {
    super(`${command}: ${code ? `${code} (${meaning})` : meaning}`, options);
    this.name = 'ModemError';
    this.command = command;
    this.code = code;
    this.meaning = meaning;
  }
}

/**
 * A payload or topic that the model's publish mode cannot carry. Thrown before any byte is
 * sent, so the modem state is untouched.
 */
export class PayloadRejectedError extends ModemError {
  constructor(command: string, meaning: string) {
    super(command, '', meaning);
    this.name = 'PayloadRejectedError';
  }
}

/** A custom profile that does not validate; the message names the field. */
export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}
