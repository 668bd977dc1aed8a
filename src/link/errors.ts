import type { ErrorKind } from '../at/errors';

export type { ErrorKind } from '../at/errors';

/** Why the link refused or dropped a publish; `code` lets nodes pick a translated message. */
export type LinkErrorCode =
  | 'not-connected'
  | 'queue-disabled'
  | 'queue-full'
  | 'closed'
  | 'auth-failed'
  /** A report failed transiently on every one of its allowed attempts (a poison message). */
  | 'attempts-exhausted'
  /** Sign type 1 without a trustworthy clock (no network time, host clock plainly wrong): see sign-clock.ts. */
  | 'bad-clock';

const KIND_OF_CODE: Record<LinkErrorCode, ErrorKind> = {
  'not-connected': 'transient',
  'queue-disabled': 'permanent',
  'queue-full': 'permanent',
  closed: 'permanent',
  'auth-failed': 'auth',
  'attempts-exhausted': 'permanent',
  // Retried: the network may send its time later, or someone sets the host clock.
  'bad-clock': 'transient',
};

export class LinkError extends Error {
  readonly kind: ErrorKind;
  /** For `attempts-exhausted`: how many publishes of the report failed. */
  readonly attempts?: number;
  /** For `queue-full`: the report count limit of the publisher and the connection's byte budget. */
  readonly limit?: number;
  readonly byteBudget?: number;

  constructor(
    readonly code: LinkErrorCode,
    message: string,
    options?: { cause?: unknown; attempts?: number; limit?: number; byteBudget?: number },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'LinkError';
    this.kind = KIND_OF_CODE[code];
    if (options?.attempts !== undefined) this.attempts = options.attempts;
    if (options?.limit !== undefined) this.limit = options.limit;
    if (options?.byteBudget !== undefined) this.byteBudget = options.byteBudget;
  }
}

function ownKind(e: unknown): ErrorKind | undefined {
  const k = (e as { kind?: unknown } | null | undefined)?.kind;
  return k === 'transient' || k === 'permanent' || k === 'auth' ? k : undefined;
}

/**
 * The kind of a failure: its own `kind`, else the first kind along its `cause` chain. An error
 * with no kind at all (a bug, a foreign library) counts as transient: the report is kept and the
 * per-report attempt cap ends the loop, so nothing is dropped on a guess.
 */
export function errorKind(err: unknown): ErrorKind {
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const k = ownKind(e);
    if (k) return k;
    e = (e as { cause?: unknown }).cause;
  }
  return 'transient';
}

/** The CONNACK code of a refused login (4 bad user name or password, 5 not authorised), from the error's fields. */
export function connackRefusal(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const c = (e as { connack?: unknown }).connack;
    if (typeof c === 'number') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The message of anything thrown (an Error's message, else its text). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
