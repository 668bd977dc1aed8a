/**
 * Request de-dup for downlinks, keyed by the platform's request id within a time window: the
 * platform re-sends an unacknowledged QoS 1 command or property request (every 2 s three
 * times, then every 10 s five times: about a minute), and the modem URCs hide the DUP flag.
 * The window (default 5 minutes) covers that schedule; after it a request id is forgotten.
 */
export interface StoredAnswer {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
}

export type RequestVerdict =
  | { kind: 'new' }
  /** Seen before and not answered yet: drop it, the flow is working on it. */
  | { kind: 'in-progress' }
  /** Seen and answered: publish the stored answer again. */
  | { kind: 'answered'; answer: StoredAnswer };

interface Entry {
  answer: StoredAnswer | null;
  at: number;
}

export const DEDUP_WINDOW_MS = 5 * 60 * 1000;

export class DownlinkDedup {
  private readonly requests = new Map<string, Entry>();

  constructor(
    private readonly capacity = 512,
    private readonly windowMs = DEDUP_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a request and says whether it is new. */
  request(requestId: string): RequestVerdict {
    this.expire();
    const seen = this.requests.get(requestId);
    if (!seen) {
      this.set(requestId, null);
      return { kind: 'new' };
    }
    return seen.answer ? { kind: 'answered', answer: seen.answer } : { kind: 'in-progress' };
  }

  /** Stores the answer published for a request (any request id, even one we never saw: it may precede a duplicate). */
  answered(requestId: string, answer: StoredAnswer): void {
    this.set(requestId, answer);
  }

  private set(key: string, answer: StoredAnswer | null): void {
    this.requests.delete(key);
    this.requests.set(key, { answer, at: this.now() });
    while (this.requests.size > this.capacity) {
      this.requests.delete(this.requests.keys().next().value as string);
    }
  }

  /** Forgets entries older than the window (the map is in insertion order, oldest first). */
  private expire(): void {
    const oldest = this.now() - this.windowMs;
    for (const [key, e] of this.requests) {
      if (e.at >= oldest) break;
      this.requests.delete(key);
    }
  }
}
