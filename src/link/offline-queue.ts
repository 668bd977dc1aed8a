/**
 * The bounded FIFO of publishes waiting for the link. Each producer (an at-publish node) has
 * its own count limit, so one chatty node cannot evict another node's messages; the whole
 * connection has a byte budget, so large payloads cannot grow memory without bound while
 * offline. Counts and sizes are kept as the queue changes: reading them is O(1), which matters
 * because they are read on every report.
 */
export interface QueuedPublish {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  /** Who queued it: limits count per owner. */
  owner: string;
  /** Publishes of this report that failed transiently so far. */
  attempts: number;
  /** Its key in the persistent store, once written there. */
  storeKey?: number;
  resolve(messageId: number): void;
  reject(err: Error): void;
}

/** Bytes a queued report holds (payload and topic; the rest is small and fixed). */
export function sizeOf(item: Pick<QueuedPublish, 'topic' | 'payload'>): number {
  return item.payload.length + item.topic.length;
}

export interface PushResult {
  /** Older reports removed to make room, to be failed by the caller with a warning. */
  dropped: QueuedPublish[];
  /** False when the report itself is larger than the whole byte budget and was not queued. */
  queued: boolean;
}

export class OfflineQueue {
  /** Items from `head` on are queued; the slots before it are spent and compacted away now and then. */
  private items: (QueuedPublish | undefined)[] = [];
  private head = 0;
  private readonly perOwner = new Map<string, number>();
  private byteCount = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** Bytes held by the queued reports (see sizeOf). */
  get bytes(): number {
    return this.byteCount;
  }

  countOf(owner: string): number {
    return this.perOwner.get(owner) ?? 0;
  }

  /** The queued items in order (a copy). */
  snapshot(): QueuedPublish[] {
    return this.items.slice(this.head) as QueuedPublish[];
  }

  /**
   * Appends `item`. When its owner already has `limit` items waiting, or the connection's
   * `byteBudget` would be exceeded, the owner's oldest items are removed and returned so the
   * caller can fail them with a warning. A report larger than the whole budget is refused.
   */
  push(item: QueuedPublish, limit: number, byteBudget = Infinity): PushResult {
    const dropped: QueuedPublish[] = [];
    const size = sizeOf(item);
    if (size > byteBudget) return { dropped, queued: false };
    while (this.countOf(item.owner) >= limit || this.byteCount + size > byteBudget) {
      const oldest = this.removeOldestOf(item.owner) ?? this.removeOldestOf(undefined);
      if (!oldest) break;
      dropped.push(oldest);
    }
    this.items.push(item);
    this.count(item, 1);
    return { dropped, queued: true };
  }

  /** Puts an item back at the head (a publish that failed transiently keeps its place). */
  unshift(item: QueuedPublish): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
    this.count(item, 1);
  }

  peek(): QueuedPublish | undefined {
    return this.items[this.head];
  }

  shift(): QueuedPublish | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (item) this.count(item, -1);
    return item;
  }

  /** Removes and returns every item, or every item of one owner (for failing or handing them over). */
  drain(owner?: string): QueuedPublish[] {
    const all = this.snapshot();
    const mine = owner === undefined ? all : all.filter((it) => it.owner === owner);
    const rest = owner === undefined ? [] : all.filter((it) => it.owner !== owner);
    this.items = rest;
    this.head = 0;
    for (const it of mine) this.count(it, -1);
    return mine;
  }

  private removeOldestOf(owner: string | undefined): QueuedPublish | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const it = this.items[i]!;
      if (owner !== undefined && it.owner !== owner) continue;
      this.items.splice(i, 1);
      this.count(it, -1);
      return it;
    }
    return undefined;
  }

  private count(item: QueuedPublish, sign: 1 | -1): void {
    const n = (this.perOwner.get(item.owner) ?? 0) + sign;
    if (n > 0) this.perOwner.set(item.owner, n);
    else this.perOwner.delete(item.owner);
    this.byteCount += sign * sizeOf(item);
  }
}
