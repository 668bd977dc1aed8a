/**
 * Spots another client using the same device id. IoTDA keeps the newest connection of a device
 * and closes the older one (docs/iotda.md §1.8), so two flows or gateways with one device id
 * knock each other off right after every connect, for ever. A few drops in a row, each soon
 * after coming online, are that fight: the link then waits long before it tries again, so one
 * side keeps the device and the user is told why.
 */
export interface TakeoverWatchOptions {
  /** A broker drop this soon after coming online counts as a take-over (default 30000 ms). */
  windowMs?: number;
  /** Take-overs in a row that make a fight (default 3). */
  inARow?: number;
}

export class TakeoverWatch {
  private onlineAt = 0;
  private quickDrops = 0;
  readonly windowMs: number;
  readonly inARow: number;

  constructor(opts: TakeoverWatchOptions = {}) {
    this.windowMs = opts.windowMs ?? 30000;
    this.inARow = opts.inARow ?? 3;
  }

  online(now = Date.now()): void {
    this.onlineAt = now;
  }

  /**
   * The broker closed an online session: true when this makes `inARow` quick drops in a row.
   * A session that lasted longer than the window starts the count again.
   */
  dropped(now = Date.now()): boolean {
    const quick = this.onlineAt > 0 && now - this.onlineAt < this.windowMs;
    this.onlineAt = 0;
    this.quickDrops = quick ? this.quickDrops + 1 : 0;
    return this.quickDrops >= this.inARow;
  }

  /** An explicit reconnect or a new configuration: forget the past drops. */
  reset(): void {
    this.onlineAt = 0;
    this.quickDrops = 0;
  }

  get count(): number {
    return this.quickDrops;
  }
}
