/**
 * Duplicate suppression for downlinks (PROTOCOLS.md §1.7): the platform re-sends QoS 1
 * downlinks and the modem URCs hide the DUP flag. Requests (commands, property set/get) are
 * keyed by request_id and remember the answer we published, so a duplicate gets the same
 * answer again instead of switching a relay twice. Messages are keyed by their JSON `id`.
 */
export interface StoredAnswer {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
}

/** An insertion-ordered map that forgets its oldest entries beyond `capacity`. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }
}

export type RequestVerdict =
  | { kind: 'new' }
  /** Seen before and not answered yet: drop it, the flow is working on it. */
  | { kind: 'in-progress' }
  /** Seen and answered: publish the stored answer again. */
  | { kind: 'answered'; answer: StoredAnswer };

export class DownlinkDedup {
  private readonly requests: BoundedMap<StoredAnswer | null>;
  private readonly messageIds: BoundedMap<true>;

  constructor(capacity = 512) {
    this.requests = new BoundedMap(capacity);
    this.messageIds = new BoundedMap(capacity);
  }

  /** Records a request and says whether it is new. */
  request(requestId: string): RequestVerdict {
    if (!this.requests.has(requestId)) {
      this.requests.set(requestId, null);
      return { kind: 'new' };
    }
    const answer = this.requests.get(requestId);
    return answer ? { kind: 'answered', answer } : { kind: 'in-progress' };
  }

  /** Stores the answer published for a request (any request id, even one we never saw: it may precede a duplicate). */
  answered(requestId: string, answer: StoredAnswer): void {
    this.requests.set(requestId, answer);
  }

  /** True the first time a message `id` is seen. */
  firstMessage(id: string): boolean {
    if (this.messageIds.has(id)) return false;
    this.messageIds.set(id, true);
    return true;
  }
}
