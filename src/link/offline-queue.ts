/**
 * The bounded FIFO of publishes waiting for the link. Each producer (an at-publish node)
 * has its own limit, so one chatty node cannot evict another node's messages.
 */
export interface QueuedPublish {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  /** Who queued it: limits count per owner. */
  owner: string;
  resolve(messageId: number): void;
  reject(err: Error): void;
}

export class OfflineQueue {
  private items: QueuedPublish[] = [];

  get length(): number {
    return this.items.length;
  }

  countOf(owner: string): number {
    let n = 0;
    for (const it of this.items) if (it.owner === owner) n++;
    return n;
  }

  /**
   * Appends `item`; when its owner already has `limit` items waiting, the owner's oldest is
   * removed and returned so the caller can fail it with a warning.
   */
  push(item: QueuedPublish, limit: number): QueuedPublish | undefined {
    let dropped: QueuedPublish | undefined;
    if (this.countOf(item.owner) >= limit) {
      const at = this.items.findIndex((it) => it.owner === item.owner);
      if (at >= 0) dropped = this.items.splice(at, 1)[0];
    }
    this.items.push(item);
    return dropped;
  }

  /** Puts an item back at the head (a publish interrupted by a link loss keeps its place). */
  unshift(item: QueuedPublish): void {
    this.items.unshift(item);
  }

  shift(): QueuedPublish | undefined {
    return this.items.shift();
  }

  /** Removes and returns every item (for failing them on close). */
  drain(owner?: string): QueuedPublish[] {
    if (owner === undefined) {
      const all = this.items;
      this.items = [];
      return all;
    }
    const mine = this.items.filter((it) => it.owner === owner);
    this.items = this.items.filter((it) => it.owner !== owner);
    return mine;
  }
}
