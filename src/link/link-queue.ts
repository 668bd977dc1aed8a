/**
 * The reports side of a link: the bounded offline queue, its pump, the persistent store and
 * the hand-over of queued reports to a successor link (a redeployed connection). The
 * connection state machine (link-supervisor.ts) extends it.
 */
import { EventEmitter } from 'node:events';
import { inDeviceNamespace } from '../iotda/topics';
import type { MqttSession } from '../modems/driver';
import { LinkError } from './errors';
import { OfflineQueue, type QueuedPublish } from './offline-queue';
import type { QueueStore } from './queue-store';
import { QueuePump } from './queue-pump';

export interface LinkQueueOptions {
  /** Most bytes (payload + topic) queued on this connection (default 4 MiB). */
  queueBytes?: number;
  /** Most publishes started per second while flushing (default 40, below IoTDA's ~50/s per device). */
  ratePerSecond?: number;
  /** Publishes of one report that may fail transiently before it is failed (default 5). */
  maxAttempts?: number;
  /** Where queued reports survive a restart; without it they live in memory only. */
  store?: QueueStore;
  /**
   * The connection's device: reports a predecessor or the store hold for another device id (the
   * id was changed and redeployed) move into this device's `$oc/devices/{id}/` topics.
   */
  deviceId?: string;
  log?: (level: LogLevel, text: string) => void;
}

export interface PublishOptions {
  /** Who publishes (a node id); queue limits count per owner. */
  owner?: string;
  /** Most publishes this owner may have waiting while offline (default 1000; 0 = fail fast). */
  queueSize?: number;
}

export type LogLevel = 'debug' | 'info' | 'warn';

export const DEFAULT_QUEUE_BYTES = 4 * 1024 * 1024;

export abstract class LinkQueue extends EventEmitter {
  protected readonly queue = new OfflineQueue();
  protected readonly pump: QueuePump;
  private nextMessageId = 0;

  constructor(private readonly queueOpts: LinkQueueOptions) {
    super();
    this.pump = new QueuePump(
      {
        queue: this.queue,
        onlineSession: () => this.onlineSession(),
        confirmed: (item) => {
          this.confirmedPublish(item);
          this.settle(item);
          item.resolve(0);
          this.amend();
        },
        failed: (item, err) => {
          this.settle(item);
          item.reject(err);
          this.amend();
        },
        suspect: (epoch, err) => this.suspect(epoch, err),
        log: (level, text) => queueOpts.log?.(level, text),
      },
      { ratePerSecond: queueOpts.ratePerSecond ?? 40, maxAttempts: queueOpts.maxAttempts ?? 5 },
    );
    this.restoreStored();
  }

  protected abstract amend(): void;
  protected abstract isStoppedForGood(): boolean;
  protected abstract isOnline(): boolean;
  protected abstract onlineSession(): { session: MqttSession; epoch: number } | undefined;
  protected abstract confirmedPublish(item: QueuedPublish): void;
  protected abstract suspect(epoch: number, err: unknown): void;

  /** Queued bytes (payload + topic) of this connection. */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /** Queued reports of one owner (O(1)). */
  queuedOf(owner: string): number {
    return this.queue.countOf(owner);
  }

  /**
   * Publishes in order behind everything queued before. Resolves with a local message id when
   * the modem confirms (PUBACK for QoS 1). While offline it waits in the bounded queue.
   */
  publish(topic: string, payload: Buffer, qos: 0 | 1, opts: PublishOptions = {}): Promise<number> {
    if (this.isStoppedForGood()) return Promise.reject(new LinkError('closed', 'the connection is closed'));
    const limit = opts.queueSize ?? 1000;
    if (!this.isOnline() && limit <= 0) {
      return Promise.reject(new LinkError('queue-disabled', 'not connected and the offline queue is disabled'));
    }
    return new Promise<number>((resolve, reject) => {
      this.nextMessageId = (this.nextMessageId % 65535) + 1;
      const id = this.nextMessageId;
      const item: QueuedPublish = { topic, payload, qos, owner: opts.owner ?? '', attempts: 0, resolve: () => resolve(id), reject };
      const budget = this.queueOpts.queueBytes ?? DEFAULT_QUEUE_BYTES;
      const { dropped, queued } = this.queue.push(item, Math.max(1, limit), budget);
      if (!queued) {
        reject(new LinkError('queue-full', `the report (${payload.length} bytes) is larger than the whole offline queue budget (${budget} bytes)`, { limit, byteBudget: budget }));
        return;
      }
      for (const d of dropped) {
        this.queueOpts.log?.('warn', `offline queue full (${limit} reports or ${budget} bytes): dropped the oldest report for ${d.topic}`);
        this.settle(d);
        d.reject(new LinkError('queue-full', `offline queue full (${limit} reports or ${budget} bytes): the oldest report was dropped`, { limit, byteBudget: budget }));
      }
      this.write(item);
      this.amend();
      this.pump.kick();
    });
  }

  /** Fails the queued publishes of one owner (a publisher that is removed). */
  cancel(owner: string, err: Error = new LinkError('closed', 'the node was stopped before the message was sent')): void {
    const items = this.queue.drain(owner);
    if (items.length === 0) return;
    for (const it of items) {
      this.settle(it);
      it.reject(err);
    }
    this.amend();
  }

  /** Removes every queued report without settling it, for a successor link (redeploy). */
  takeQueue(): QueuedPublish[] {
    const items = this.queue.drain();
    if (items.length > 0) this.amend();
    return items;
  }

  /**
   * Puts a predecessor's reports at the head of the queue, in their order. A report this link
   * already restored from the store (same key) keeps its place and takes over the callbacks.
   */
  adopt(items: QueuedPublish[]): void {
    if (items.length === 0) return;
    this.moveToThisDevice(items, 'handed over');
    const restored = new Map(this.queue.snapshot().filter((q) => q.storeKey !== undefined).map((q) => [q.storeKey, q]));
    const fresh: QueuedPublish[] = [];
    for (const it of items) {
      const mine = it.storeKey !== undefined ? restored.get(it.storeKey) : undefined;
      if (mine) {
        mine.resolve = it.resolve;
        mine.reject = it.reject;
        mine.attempts = it.attempts;
      } else {
        fresh.push(it);
      }
    }
    for (let i = fresh.length - 1; i >= 0; i--) {
      this.queue.unshift(fresh[i]);
      if (fresh[i].storeKey === undefined) this.write(fresh[i]);
    }
    this.amend();
    this.pump.kick();
  }

  protected failQueued(): void {
    const items = this.queue.drain();
    for (const it of items) {
      this.settle(it);
      it.reject(new LinkError('closed', 'the connection is closed'));
    }
    if (items.length > 0) this.amend();
  }

  /** Reports queued under another device id (the id changed): into this device's topics, said once. */
  private moveToThisDevice(items: Array<{ topic: string }>, how: string): void {
    const deviceId = this.queueOpts.deviceId;
    if (deviceId === undefined) return;
    const from = new Set<string>();
    for (const it of items) {
      const moved = inDeviceNamespace(it.topic, deviceId);
      if (moved === it.topic) continue;
      from.add(it.topic.split('/')[2]);
      it.topic = moved;
    }
    if (from.size > 0) {
      this.queueOpts.log?.('warn', `queued reports ${how} for device ${[...from].join(', ')} are sent as device ${deviceId} (the connection's device id changed)`);
    }
  }

  private write(item: QueuedPublish): void {
    const key = this.queueOpts.store?.add(item);
    if (key !== undefined) item.storeKey = key;
  }

  /** The report is done (sent or failed): it leaves the store. */
  private settle(item: QueuedPublish): void {
    if (item.storeKey !== undefined) this.queueOpts.store?.remove(item.storeKey);
  }

  /** Reports a previous run left in the store go first; nobody waits for them, so only a failure is logged. */
  private restoreStored(): void {
    const store = this.queueOpts.store;
    if (!store) return;
    const records = store.load();
    this.moveToThisDevice(records, 'restored');
    for (const r of records) {
      const item: QueuedPublish = {
        ...r,
        attempts: 0,
        storeKey: r.key,
        resolve: () => undefined,
        reject: (err) => this.queueOpts.log?.('warn', `a report restored from the queue store failed: ${err.message}`),
      };
      this.queue.push(item, Infinity, Infinity);
    }
    if (records.length > 0) this.queueOpts.log?.('info', `restored ${records.length} queued report(s) from ${store.file}`);
  }
}
