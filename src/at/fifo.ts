/**
 * A first-in first-out queue: a ring buffer that doubles when full. Array#shift moves every
 * element once the array is large (V8 cannot trim a large array's store in place), so a burst
 * of a few thousand queued commands cost more in shifting than in talking to the modem; and an
 * array emptied and refilled for every command allocated a new store each time.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    const cap = this.items.length;
    if (this.size === cap) this.grow(cap);
    this.items[(this.head + this.size) & (this.items.length - 1)] = item;
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    return item;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    while (this.size > 0) out.push(this.shift()!);
    return out;
  }

  /** Doubles the store (capacity stays a power of two, so indexes wrap with a mask). */
  private grow(cap: number): void {
    const next: (T | undefined)[] = new Array(cap * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) & (cap - 1)];
    this.items = next;
    this.head = 0;
  }
}
