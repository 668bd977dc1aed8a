/**
 * The connection state machine of one IoTDA device session over a shared modem.
 * It never gives up: every failure leads to `backoff` and a new attempt with fresh
 * credentials (the password is an HMAC of the current hour), except a CONNACK 4/5 refusal,
 * which waits for a config change or an explicit `reconnect()` because retrying a wrong
 * secret only gets the device flagged.
 */
import { EventEmitter } from 'node:events';
import { AtTimeoutError } from '../at/errors';
import type { MqttSession } from '../modems/driver';
import { ModemError } from '../modems/errors';
import { iotdaCredentials, type SignType } from '../iotda/credentials';
import { parseDownlinkTopic, parseUplinkTopic, systemSubscriptions, type DownlinkKind } from '../iotda/topics';
import { ReconnectBackoff } from './backoff';
import { DownlinkDedup } from './downlink-dedup';
import { LinkError, connackRefusal } from './errors';
import type { ModemStep, ModemSupervisor } from './modem-supervisor';
import { OfflineQueue, type QueuedPublish } from './offline-queue';
import { settleWithin } from './settle-within';

export type LinkState =
  | 'idle'
  | 'opening-port'
  | 'init'
  | 'attaching'
  | 'opening-mqtt'
  | 'connecting'
  | 'subscribing'
  | 'online'
  | 'backoff'
  /** Taken down on purpose by the flow (msg.action "disconnect"): publishes queue, nothing retries until release(). */
  | 'held'
  | 'stopping'
  | 'stopped';

export interface LinkStatus {
  state: LinkState;
  /** Progress inside a state, for status text: port, modem, sim, network, pdp, wifi, mqtt, subscribe. */
  step?: string;
  /** Signal quality 0-100 once online, when the modem reports it. */
  signal?: number;
  /** The last failure, in plain words. */
  reason?: string;
  /**
   * The same failure for a status bubble: what went wrong before which command it was
   * (a ModemError's meaning and code), since the bubble shows only the first few words.
   */
  summary?: string;
  /** In `backoff`: when the next attempt starts. Absent when `halted`. */
  retryInMs?: number;
  /** CONNACK 4/5: no automatic retry until the configuration changes or reconnect() is called. */
  halted?: boolean;
  /** Publishes waiting for the link. */
  queued: number;
}

export interface DownlinkMessage {
  topic: string;
  payload: Buffer;
  kind: DownlinkKind;
  deviceId?: string;
  requestId?: string;
}

export interface LinkSupervisorOptions {
  modem: ModemSupervisor;
  host: string;
  port: number;
  tls?: boolean;
  deviceId: string;
  secret: string;
  signType?: SignType;
  keepalive?: number;
  clientIndex?: number;
  /** First reconnect delay (default 1000 ms); doubles per failure up to the ceiling. */
  reconnectFloorMs?: number;
  /** Longest reconnect delay (default 60000 ms). */
  reconnectCeilingMs?: number;
  /** Bound on the polite MQTT disconnect in stop() (default 10000 ms, below Node-RED's 15 s close timeout). */
  disconnectTimeoutMs?: number;
  /**
   * Idle probe of the modem while online (default 60000 ms; 0 = off): a signal query that times
   * out on PROBE_TIMEOUTS_TO_LOSE consecutive probes marks the modem lost, so the link reconnects.
   */
  probeIntervalMs?: number;
  log?: (level: 'info' | 'warn', text: string) => void;
}

export interface PublishOptions {
  /** Who publishes (a node id); queue limits count per owner. */
  owner?: string;
  /** Most publishes this owner may have waiting while offline (default 1000; 0 = fail fast). */
  queueSize?: number;
}

const ACTIVE: ReadonlySet<LinkState> = new Set(['opening-port', 'init', 'attaching', 'opening-mqtt', 'connecting', 'subscribing', 'online']);
const REQUEST_KINDS: ReadonlySet<DownlinkKind> = new Set(['command', 'property-set', 'property-get']);
const RESPONSE_KINDS = new Set(['command-response', 'property-set-response', 'property-get-response']);

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** A ModemError's meaning (with its code) leads; other errors keep their message. */
function summaryOf(err: unknown): string | undefined {
  if (!(err instanceof ModemError) || !err.meaning) return undefined;
  return err.code ? `${err.meaning} (${err.code})` : err.meaning;
}

/**
 * Consecutive probe timeouts that mean "the modem is gone". Not one: a single timeout can be a
 * modem busy with something else (ESP-AT `busy p...` and late answers, PROTOCOLS.md P9; a
 * cellular modem searching the network), and the channel resyncs after it. Two in a row, a
 * whole probe interval apart, is a modem that stopped answering.
 */
export const PROBE_TIMEOUTS_TO_LOSE = 2;

/** True for an AT timeout, also when the driver wrapped it (ModemError with the timeout as `cause`). */
export function isAtTimeout(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e instanceof AtTimeoutError) return true;
    e = e.cause;
  }
  return false;
}

/**
 * Events:
 * - `status` (LinkStatus): every state or step change, and queue length changes.
 * - `message` (DownlinkMessage): a downlink that is not a duplicate.
 */
export class LinkSupervisor extends EventEmitter {
  private current: LinkStatus = { state: 'idle', queued: 0 };
  /** Bumped whenever an attempt is abandoned, so its late results are ignored. */
  private epoch = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** Idle probes in a row that got no answer at all (see PROBE_TIMEOUTS_TO_LOSE). */
  private probeTimeouts = 0;
  private session: MqttSession | undefined;
  private unbindSession: (() => void) | undefined;
  private cleanup: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;
  /** Where the take-down in `stopping` ends: `held` keeps the offline queue, `stopped` fails it. */
  private downTo: 'held' | 'stopped' = 'stopped';
  private pumping = false;
  /** A link loss reported while open/connect was still pending. */
  private pendingLinkDown: string | undefined;
  private nextMessageId = 0;
  private readonly backoff: ReconnectBackoff;
  private readonly queue = new OfflineQueue();
  private readonly dedup = new DownlinkDedup();
  private readonly filters = new Map<string, 0 | 1>();
  private readonly onModemLost = (reason: string) => {
    if (ACTIVE.has(this.current.state)) this.fail(this.epoch, new Error(reason));
  };

  constructor(readonly opts: LinkSupervisorOptions) {
    super();
    this.backoff = new ReconnectBackoff(opts.reconnectFloorMs ?? 1000, opts.reconnectCeilingMs ?? 60000);
    opts.modem.on('lost', this.onModemLost);
  }

  get status(): LinkStatus {
    return { ...this.current };
  }

  get state(): LinkState {
    return this.current.state;
  }

  get clientIndex(): number {
    return this.opts.clientIndex ?? 0;
  }

  /** The raw filters besides the system subscriptions, as resubscribed on every connect. */
  get subscriptions(): string[] {
    return [...this.filters.keys()];
  }

  private setStatus(patch: Partial<LinkStatus>, replace = true): void {
    // A new state starts with a clean slate (no stale step or reason); `replace = false` amends the current one.
    this.current = replace
      ? { ...patch, state: patch.state ?? this.current.state, queued: this.queue.length }
      : { ...this.current, ...patch, queued: this.queue.length };
    this.emit('status', this.status);
  }

  /** Starts connecting unless already up or on the way; safe to call any number of times. */
  connect(): void {
    const s = this.current.state;
    // A hold is the flow's decision: only release() (or reconnect()) ends it, not a user registering.
    if (ACTIVE.has(s) || s === 'stopping' || s === 'held') return;
    if (s === 'backoff' && (this.retryTimer || this.current.halted)) return;
    this.start();
  }

  /**
   * Ends a hold and connects (msg.action "connect"). An explicit request from the flow, so it
   * also retries after a CONNACK 4/5 halt; otherwise the same as connect().
   */
  release(): void {
    if (this.current.state === 'held' || (this.current.state === 'backoff' && this.current.halted)) {
      this.start();
      return;
    }
    this.connect();
  }

  /**
   * Disconnects politely (bounded, like stop()) and stays down in `held`: publishes keep
   * queueing (they go out in order after release()), the modem stays open for other links.
   */
  hold(): Promise<void> {
    if (this.stopping) return this.stopping;
    const s = this.current.state;
    if (s === 'held') return Promise.resolve();
    if (s === 'idle' || s === 'stopped' || s === 'backoff') {
      this.epoch++;
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.dropSession();
      this.setStatus({ state: 'held' });
      return Promise.resolve();
    }
    return this.takeDown('held');
  }

  /**
   * Resolves once online; rejects when the attempt ends elsewhere than in a retry: a CONNACK
   * 4/5 halt (retrying cannot help), a hold or a stop.
   */
  untilOnline(): Promise<void> {
    const ended = (s: LinkStatus): Error | undefined => {
      if (s.state === 'backoff' && s.halted) return new LinkError('auth-failed', s.reason ?? 'IoTDA refused the login');
      if (s.state === 'held' || s.state === 'stopped' || s.state === 'stopping') {
        const held = s.state === 'held' || (s.state === 'stopping' && this.downTo === 'held');
        return new LinkError('not-connected', `the connection was ${held ? 'disconnected' : 'closed'} before it came online`);
      }
      return undefined;
    };
    if (this.current.state === 'online') return Promise.resolve();
    const now = ended(this.current);
    if (now) return Promise.reject(now);
    return new Promise((resolve, reject) => {
      const on = (s: LinkStatus) => {
        const err = s.state === 'online' ? undefined : ended(s);
        if (s.state !== 'online' && !err) return;
        this.off('status', on);
        if (err) reject(err);
        else resolve();
      };
      this.on('status', on);
    });
  }

  /** Starts a fresh attempt now, also after a CONNACK 4/5 halt (an explicit user request). */
  reconnect(): void {
    if (this.current.state === 'stopping') return;
    this.epoch++;
    this.dropSession();
    this.backoff.reset();
    this.start();
  }

  private start(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const epoch = ++this.epoch;
    this.attempt(epoch).catch((err) => this.fail(epoch, err));
  }

  private stepState(step: ModemStep): LinkState {
    if (step === 'port') return 'opening-port';
    if (step === 'modem') return 'init';
    return 'attaching';
  }

  private async attempt(epoch: number): Promise<void> {
    const live = () => epoch === this.epoch;
    this.setStatus({ state: 'opening-port', step: 'port' });
    if (this.cleanup) await settleWithin(this.cleanup, this.opts.disconnectTimeoutMs ?? 10000);
    this.cleanup = undefined;
    if (!live()) return;
    const driver = await this.opts.modem.ready((step) => {
      if (live()) this.setStatus({ state: this.stepState(step), step });
    });
    if (!live()) return;
    const session = driver.session(this.clientIndex);
    this.bindSession(session, epoch);
    this.setStatus({ state: 'opening-mqtt', step: 'mqtt' });
    this.pendingLinkDown = undefined;
    await session.open(this.opts.host, this.opts.port, this.opts.tls ?? false);
    if (!live()) return;
    this.throwPendingLinkDown();
    this.setStatus({ state: 'connecting', step: 'mqtt' });
    // Fresh credentials every time: the password is keyed by the current UTC hour.
    const creds = iotdaCredentials(this.opts.deviceId, this.opts.secret, { signType: this.opts.signType ?? 0 });
    this.opts.modem.addSecret(this.opts.secret);
    this.opts.modem.addSecret(creds.password);
    await session.connect({
      clientId: creds.clientId,
      username: creds.username,
      password: creds.password,
      keepalive: this.opts.keepalive ?? 120,
      cleanSession: true,
    });
    if (!live()) return;
    this.throwPendingLinkDown();
    this.setStatus({ state: 'subscribing', step: 'subscribe' });
    const table = new Map<string, 0 | 1>();
    for (const f of systemSubscriptions(this.opts.deviceId)) table.set(f, 1);
    for (const [f, q] of this.filters) if (!table.has(f)) table.set(f, q);
    for (const [f, q] of table) {
      await session.subscribe(f, q);
      if (!live()) return;
    }
    this.backoff.reset();
    this.setStatus({ state: 'online' });
    this.opts.log?.('info', `online as ${this.opts.deviceId} via ${this.opts.host}:${this.opts.port}`);
    this.refreshSignal(epoch);
    this.armProbe(epoch);
    void this.pump();
  }

  private throwPendingLinkDown(): void {
    const reason = this.pendingLinkDown;
    this.pendingLinkDown = undefined;
    if (reason !== undefined) throw new Error(reason);
  }

  private refreshSignal(epoch: number): void {
    const driver = this.opts.modem.current;
    if (!driver) return;
    driver.signal().then(
      (q) => this.showSignal(epoch, q.percent),
      () => undefined,
    );
  }

  /** A fresh signal reading for the status, if this attempt is still the online one. */
  private showSignal(epoch: number, percent: number | undefined): void {
    if (epoch === this.epoch && this.current.state === 'online' && percent !== undefined && percent !== this.current.signal) {
      this.setStatus({ signal: percent }, false);
    }
  }

  /**
   * Probes the idle modem every probeIntervalMs while this attempt stays online. The next probe
   * is armed only when the previous one settled, so a slow timeout never stacks probes up.
   */
  private armProbe(epoch: number): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.probeTimeouts = 0;
    const every = this.opts.probeIntervalMs ?? 60000;
    if (!every) return;
    const live = () => epoch === this.epoch && this.current.state === 'online';
    const next = () => {
      this.probeTimer = setTimeout(() => {
        this.probeTimer = undefined;
        if (!live()) return;
        void this.probe(epoch).finally(() => {
          if (live() && !this.probeTimer) next();
        });
      }, every);
      this.probeTimer.unref?.();
    };
    next();
  }

  /** One idle probe: a signal query. Only a timeout counts against the modem; any answer clears the count. */
  private async probe(epoch: number): Promise<void> {
    const driver = this.opts.modem.current;
    if (!driver) return;
    try {
      const q = await driver.signal();
      if (epoch !== this.epoch) return;
      this.probeTimeouts = 0;
      this.showSignal(epoch, q.percent);
    } catch (err) {
      if (epoch !== this.epoch) return;
      // ERROR / +CME ERROR is an answer: the modem is alive, whatever it thinks of the query.
      if (!isAtTimeout(err)) {
        this.probeTimeouts = 0;
        return;
      }
      this.probeTimeouts++;
      if (this.probeTimeouts < PROBE_TIMEOUTS_TO_LOSE) {
        this.opts.log?.('warn', `idle probe got no answer (${messageOf(err)}); probing again`);
        return;
      }
      this.probeTimeouts = 0;
      // Through the modem supervisor, so every link on this modem goes down and the modem is reopened.
      this.opts.modem.markLost(`the modem stopped answering (${PROBE_TIMEOUTS_TO_LOSE} idle probes timed out: ${messageOf(err)})`, driver);
    }
  }

  private bindSession(session: MqttSession, epoch: number): void {
    this.unbindSession?.();
    this.session = session;
    const onMessage = (topic: string, payload: Buffer) => {
      try {
        this.onDownlink(topic, payload);
      } catch (err) {
        this.opts.log?.('warn', `downlink on ${topic} dropped: ${messageOf(err)}`);
      }
    };
    const onLinkDown = (reason: string) => {
      if (epoch !== this.epoch || !ACTIVE.has(this.current.state)) return;
      // A refused CONNECT is followed by the broker closing the socket, and the modem's
      // close URC (+QMTSTAT) can overtake the connect result: let the pending open/connect
      // settle first, so a CONNACK 4/5 is recognised instead of retried.
      if (this.current.state === 'opening-mqtt' || this.current.state === 'connecting') {
        this.pendingLinkDown ??= reason;
        return;
      }
      this.fail(epoch, new Error(reason));
    };
    session.on('message', onMessage);
    session.on('linkDown', onLinkDown);
    this.unbindSession = () => {
      session.off('message', onMessage);
      session.off('linkDown', onLinkDown);
    };
  }

  /** Forgets the session; if it may still be open on the modem, closes it in the background. */
  private dropSession(): void {
    this.unbindSession?.();
    this.unbindSession = undefined;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    const session = this.session;
    this.session = undefined;
    if (session && this.opts.modem.current) {
      // Quectel refuses a second QMTOPEN on an index that is still open: free it before retrying.
      this.cleanup = session.close().catch(() => undefined);
    }
  }

  private fail(epoch: number, err: unknown): void {
    if (epoch !== this.epoch) return;
    const s = this.current.state;
    if (s === 'stopping' || s === 'stopped') return;
    this.epoch++;
    this.dropSession();
    const reason = messageOf(err);
    const summary = summaryOf(err);
    const refusal = connackRefusal(err);
    if (refusal !== undefined) {
      this.opts.log?.('warn', `IoTDA refused the login (CONNACK ${refusal}): ${reason}; not retrying until the configuration changes`);
      this.setStatus({ state: 'backoff', reason, summary, halted: true });
      return;
    }
    const delay = this.backoff.next();
    this.opts.log?.('warn', `link down: ${reason}; retrying in ${Math.round(delay / 100) / 10} s`);
    this.setStatus({ state: 'backoff', reason, summary, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.current.state === 'backoff') this.start();
    }, delay);
  }

  private onDownlink(topic: string, payload: Buffer): void {
    const t = parseDownlinkTopic(topic);
    if (t.requestId && REQUEST_KINDS.has(t.kind)) {
      const verdict = this.dedup.request(t.requestId);
      if (verdict.kind === 'in-progress') return;
      if (verdict.kind === 'answered') {
        // Re-send the stored answer; re-executing could switch an actuator twice.
        const a = verdict.answer;
        this.publish(a.topic, a.payload, a.qos, { owner: '$dedup' }).catch(() => undefined);
        return;
      }
    } else if (t.kind === 'message') {
      const id = messageIdOf(payload);
      if (id !== undefined && !this.dedup.firstMessage(id)) return;
    }
    const msg: DownlinkMessage = { topic, payload, kind: t.kind };
    if (t.deviceId) msg.deviceId = t.deviceId;
    if (t.requestId) msg.requestId = t.requestId;
    this.emit('message', msg);
  }

  /** Adds a raw filter to the subscription table; subscribes now when online. */
  async subscribe(filter: string, qos: 0 | 1 = 1): Promise<void> {
    const known = this.filters.has(filter);
    this.filters.set(filter, qos);
    if (known || this.current.state !== 'online' || !this.session) return;
    if (systemSubscriptions(this.opts.deviceId).includes(filter)) return;
    await this.session.subscribe(filter, qos);
  }

  async unsubscribe(filter: string): Promise<void> {
    if (!this.filters.delete(filter)) return;
    if (this.current.state !== 'online' || !this.session) return;
    if (systemSubscriptions(this.opts.deviceId).includes(filter)) return;
    await this.session.unsubscribe(filter);
  }

  /**
   * Publishes in order behind everything queued before. Resolves with a local message id when
   * the modem confirms (PUBACK for QoS 1). While offline it waits in the bounded queue.
   */
  publish(topic: string, payload: Buffer, qos: 0 | 1, opts: PublishOptions = {}): Promise<number> {
    const s = this.current.state;
    if (s === 'stopped' || (s === 'stopping' && this.downTo === 'stopped')) {
      return Promise.reject(new LinkError('closed', 'the connection is closed'));
    }
    const limit = opts.queueSize ?? 1000;
    if (s !== 'online' && limit <= 0) {
      return Promise.reject(new LinkError('queue-disabled', 'not connected and the offline queue is disabled'));
    }
    return new Promise<number>((resolve, reject) => {
      this.nextMessageId = (this.nextMessageId % 65535) + 1;
      const id = this.nextMessageId;
      const item: QueuedPublish = { topic, payload, qos, owner: opts.owner ?? '', resolve: () => resolve(id), reject };
      const dropped = this.queue.push(item, Math.max(1, limit));
      if (dropped) {
        this.opts.log?.('warn', `offline queue full (${limit}): dropped the oldest message for ${dropped.topic}`);
        dropped.reject(new LinkError('queue-full', `offline queue full (${limit}): the oldest message was dropped`));
      }
      this.setStatus({}, false);
      void this.pump();
    });
  }

  /** Fails the queued publishes of one owner (a publisher that is closing). */
  cancel(owner: string, err: Error = new LinkError('closed', 'the node was stopped before the message was sent')): void {
    const items = this.queue.drain(owner);
    if (items.length === 0) return;
    for (const it of items) it.reject(err);
    this.setStatus({}, false);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.current.state === 'online' && this.session) {
        const item = this.queue.shift();
        if (!item) break;
        const session = this.session;
        const epoch = this.epoch;
        try {
          await session.publish(item.topic, item.payload, item.qos);
        } catch (err) {
          if (epoch !== this.epoch || this.current.state !== 'online') {
            // The link went down under this publish: keep its place for the next connect.
            this.queue.unshift(item);
            break;
          }
          item.reject(err instanceof Error ? err : new Error(String(err)));
          this.setStatus({}, false);
          continue;
        }
        this.remember(item);
        item.resolve(0);
        this.setStatus({}, false);
      }
    } finally {
      this.pumping = false;
    }
  }

  private remember(item: QueuedPublish): void {
    const up = parseUplinkTopic(item.topic);
    if (up.requestId && RESPONSE_KINDS.has(up.kind)) {
      this.dedup.answered(up.requestId, { topic: item.topic, payload: item.payload, qos: item.qos });
    }
  }

  /**
   * Fails queued work, disconnects politely (bounded) and ends in `stopped`. A later
   * connect() starts again. Concurrent calls share one stop.
   */
  stop(): Promise<void> {
    if (this.stopping) {
      // A hold in progress ends in `held`; the stop follows it so the queue is still failed.
      return this.downTo === 'stopped' ? this.stopping : this.stopping.then(() => this.stop());
    }
    const s = this.current.state;
    if (s === 'stopped' || s === 'idle' || s === 'held') {
      for (const it of this.queue.drain()) it.reject(new LinkError('closed', 'the connection is closed'));
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      if (s !== 'stopped') this.setStatus({ state: 'stopped' });
      return Promise.resolve();
    }
    return this.takeDown('stopped');
  }

  /** Shared by stop() and hold(); concurrent calls share one take-down. */
  private takeDown(end: 'stopped' | 'held'): Promise<void> {
    this.downTo = end;
    this.stopping = this.doStop(end).finally(() => {
      this.stopping = undefined;
      this.downTo = 'stopped';
    });
    return this.stopping;
  }

  private async doStop(end: 'stopped' | 'held'): Promise<void> {
    const wasOnline = this.current.state === 'online';
    this.epoch++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (end === 'stopped') for (const it of this.queue.drain()) it.reject(new LinkError('closed', 'the connection is closed'));
    this.setStatus({ state: 'stopping' });
    this.unbindSession?.();
    this.unbindSession = undefined;
    const session = this.session;
    this.session = undefined;
    const limit = this.opts.disconnectTimeoutMs ?? 10000;
    if (session && this.opts.modem.current) {
      const bye = wasOnline ? session.disconnect().catch(() => session.close()) : session.close();
      await settleWithin(bye, limit);
    }
    this.setStatus({ state: end });
  }

  /** Stops and detaches from the modem for good. */
  async dispose(): Promise<void> {
    await this.stop();
    this.opts.modem.off('lost', this.onModemLost);
    this.removeAllListeners('message');
  }
}

/** The `id` of a downlink message body, when it is JSON with a string or number id. */
function messageIdOf(payload: Buffer): string | undefined {
  if (payload.length === 0 || payload[0] !== 0x7b /* { */) return undefined;
  try {
    const v = JSON.parse(payload.toString('utf8')) as { id?: unknown };
    if (typeof v.id === 'string' || typeof v.id === 'number') return String(v.id);
  } catch {
    // Messages may be any bytes the application chose.
  }
  return undefined;
}
