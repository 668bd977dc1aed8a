/** Why the link refused or dropped a publish; `code` lets nodes pick a translated message. */
export type LinkErrorCode = 'not-connected' | 'queue-disabled' | 'queue-full' | 'closed' | 'auth-failed';

export class LinkError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LinkError';
  }
}

/** A refused CONNACK 4 (bad user/password) or 5 (not authorised): retrying cannot help until the config changes. */
export function connackRefusal(err: unknown): number | undefined {
  const text = err instanceof Error ? err.message : String(err);
  const m = /CONNACK ([45])\b/.exec(text) ?? /\+QMTCONN: \d+,\d+,([45])\b/.exec(text);
  return m ? Number(m[1]) : undefined;
}
