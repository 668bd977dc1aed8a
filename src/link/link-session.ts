/**
 * One IoTDA session over the shared modem: the link state, the one place that changes it
 * (`go()`, checked against the table in link-states.ts and logged with its reason), the
 * bring-up, link-loss handling, reconnect backoff, subscriptions and the check of a link whose
 * publishes fail. The public controls (connect, hold, stop...) are in link-supervisor.ts.
 */
import type { MqttSession, PublishLimits } from '../modems/driver';
import { ModemError } from '../modems/errors';
import type { TlsSetting } from '../modems/tls-options';
import { iotdaCredentials, type SignType } from '../iotda/credentials';
import { systemSubscriptions } from '../iotda/topics';
import { ReconnectBackoff } from './backoff';
import { TakeoverWatch } from './takeover-watch';
import { DownlinkRouter } from './downlink-router';
import { LinkError, connackRefusal, errorKind, messageOf } from './errors';
import { IdleProbe, isAtTimeout } from './idle-probe';
import { ACTIVE_STATES, BRINGUP_STATES, nextState, type LinkEvent, type LinkState } from './link-states';
import type { ModemStep, ModemSupervisor } from './modem-supervisor';
import type { QueuedPublish } from './offline-queue';
import { LinkQueue, type LinkQueueOptions, type LogLevel } from './link-queue';
import { settleWithin } from './settle-within';
import { SignClock, type ClockSource } from './sign-clock';

export interface LinkStatus {
  state: LinkState;
  /** Progress inside a state, for status text: port, modem, sim, network, pdp, wifi, mqtt, subscribe. */
  step?: string;
  /** Signal quality 0-100 once online, when the modem reports it. */
  signal?: number;
  /** The last failure, in plain words. */
  reason?: string;
  /** The same failure for a status bubble: a ModemError's meaning and code, since the bubble shows only a few words. */
  summary?: string;
  /** In `backoff`: when the next attempt starts. */
  retryInMs?: number;
  /** In `refused`: the CONNACK return code (4 or 5). */
  connack?: number;
  /** In `backoff`: the device id another connection keeps taking over (see takeover-watch.ts). */
  takenOver?: string;
  /** Sign type 1: the clock the login was signed with (sign-clock.ts). */
  clock?: ClockSource;
  /** Publishes waiting for the link. */
  queued: number;
}

export interface LinkSupervisorOptions extends LinkQueueOptions {
  modem: ModemSupervisor;
  host: string;
  port: number;
  /** `true`: TLS verified against IoTDA's roots; see TlsSetting for a custom CA or no verification. */
  tls?: TlsSetting;
  deviceId: string;
  secret: string;
  signType?: SignType;
  /** The host's UTC clock in ms, for sign type 1 (default Date.now); tests set it wrong on purpose. */
  hostClock?: () => number;
  keepalive?: number;
  clientIndex?: number;
  /** First reconnect delay (default 1000 ms); doubles per failure up to the ceiling. */
  reconnectFloorMs?: number;
  /** Longest reconnect delay (default 60000 ms). */
  reconnectCeilingMs?: number;
  /** Bound on the polite MQTT disconnect in stop() (default 10000 ms, below Node-RED's 15 s close timeout). */
  disconnectTimeoutMs?: number;
  /** Idle probe of the modem while online (default 60000 ms; 0 = off); see idle-probe.ts. */
  probeIntervalMs?: number;
  /** A broker drop this soon after coming online counts as a take-over by another client (default 30000 ms). */
  takeoverWindowMs?: number;
  /** Take-overs in a row before the link says so and waits `takeoverBackoffMs` (default 3). */
  takeoversInARow?: number;
  /** The wait after repeated take-overs (default 300000 ms), so the other client keeps the device. */
  takeoverBackoffMs?: number;
  /**
   * What to check when the modem does not answer while it is brought up (opening the port,
   * initialising, attaching): appended to the reason of an attempt that ends in an AT timeout
   * there. The node passes serialTimeoutAdvice() for a real serial port, nothing for sim:/tcp://.
   */
  timeoutAdvice?: string;
  /** Pause before re-trying a report whose publish failed while the link looked up (default 1000 ms). */
  publishRetryMs?: number;
  log?: (level: LogLevel, text: string) => void;
}


/** A ModemError's meaning (with its code) leads; other errors keep their message. */
function summaryOf(err: unknown): string | undefined {
  if (!(err instanceof ModemError) || !err.meaning) return undefined;
  return err.code ? `${err.meaning} (${err.code})` : err.meaning;
}

export abstract class LinkSession extends LinkQueue {
  protected current: LinkStatus = { state: 'idle', queued: 0 };
  /** Bumped whenever an attempt is abandoned, so its late results are ignored. */
  protected epoch = 0;
  protected retryTimer: NodeJS.Timeout | undefined;
  protected session: MqttSession | undefined;
  protected unbindSession: (() => void) | undefined;
  private cleanup: Promise<unknown> | undefined;
  /** A link loss reported while open/connect was still pending. */
  private pendingLinkDown: string | undefined;
  /** A publish failed transiently while online: the next one failing too means the link is gone. */
  private suspectSince = 0;
  protected readonly backoff: ReconnectBackoff;
  protected readonly takeovers: TakeoverWatch;
  protected readonly probe: IdleProbe;
  private readonly router: DownlinkRouter;
  private readonly signClock: SignClock;
  private readonly filters = new Map<string, 0 | 1>();
  protected readonly onModemLost = (reason: string) => {
    if (ACTIVE_STATES.has(this.current.state)) this.fail(this.epoch, new LinkError('not-connected', reason));
  };

  constructor(readonly opts: LinkSupervisorOptions) {
    super(opts);
    this.backoff = new ReconnectBackoff(opts.reconnectFloorMs ?? 1000, opts.reconnectCeilingMs ?? 60000);
    this.takeovers = new TakeoverWatch({ windowMs: opts.takeoverWindowMs, inARow: opts.takeoversInARow });
    this.probe = new IdleProbe(
      {
        onlineDriver: (epoch) => (epoch === this.epoch && this.current.state === 'online' ? this.opts.modem.current : undefined),
        lastConfirmedAt: () => this.pump.lastConfirmedAt,
        publishing: () => this.pump.busy,
        signal: (epoch, percent) => this.showSignal(epoch, percent),
        lost: (driver, reason) => this.opts.modem.markLost(reason, driver),
        log: (level, text) => this.opts.log?.(level, text),
      },
      opts.probeIntervalMs ?? 60000,
    );
    this.router = new DownlinkRouter(
      (m) => this.emit('message', m),
      (a) => void this.publish(a.topic, a.payload, a.qos, { owner: '$dedup' }).catch(() => undefined),
    );
    this.signClock = new SignClock(opts.hostClock, (level, text) => this.opts.log?.(level, text));
    opts.modem.on('lost', this.onModemLost);
  }

  get status(): LinkStatus {
    return { ...this.current, queued: this.queue.length };
  }

  get state(): LinkState {
    return this.current.state;
  }

  /** The modem's publish limits while a driver is up (at-publish falls back to the configured model's). */
  get publishLimits(): PublishLimits | undefined {
    return this.opts.modem.publishLimits;
  }

  get clientIndex(): number {
    return this.opts.clientIndex ?? 0;
  }

  /** The raw filters besides the system subscriptions, as resubscribed on every connect. */
  get subscriptions(): string[] {
    return [...this.filters.keys()];
  }

  /**
   * The one place a state changes: checks the transition table, logs every real move with its
   * reason, and emits the status. `patch` fills the new status (a new state starts clean).
   */
  protected go(event: LinkEvent, patch: Omit<Partial<LinkStatus>, 'state' | 'queued'> = {}): boolean {
    const from = this.current.state;
    const to = nextState(from, event);
    if (!to) {
      this.opts.log?.('warn', `link: ignored "${event}" in state ${from}`);
      return false;
    }
    if (to !== from) {
      const level = event === 'failure' || event === 'refused' ? 'warn' : event === 'online' ? 'info' : 'debug';
      const retry = patch.retryInMs !== undefined ? `; retrying in ${Math.round(patch.retryInMs / 100) / 10} s` : '';
      const text = to === 'online' ? `online ${patch.reason ?? ''}` : `link ${from} -> ${to} (${event}${patch.reason ? `: ${patch.reason}` : ''}${retry})`;
      this.opts.log?.(level, text);
    }
    this.current = { ...patch, state: to, queued: this.queue.length };
    this.emit('status', this.status);
    return true;
  }

  /** The current state with amended fields (signal, queue length). */
  protected amend(patch: Partial<LinkStatus> = {}): void {
    this.current = { ...this.current, ...patch, queued: this.queue.length };
    this.emit('status', this.status);
  }

  protected isOnline(): boolean {
    return this.current.state === 'online';
  }

  protected onlineSession(): { session: MqttSession; epoch: number } | undefined {
    return this.current.state === 'online' && this.session ? { session: this.session, epoch: this.epoch } : undefined;
  }

  protected confirmedPublish(item: QueuedPublish): void {
    this.suspectSince = 0;
    this.router.published(item.topic, item.payload, item.qos);
  }

  /**
   * A publish failed transiently while online. The modem may refuse publishes before its
   * link-loss URC arrives, or the failure was a one-off: wait a moment (a link loss shows up
   * meanwhile) and try again; a second failure in a row means the link is gone: reconnect.
   */
  protected suspect(epoch: number, err: unknown): void {
    if (epoch !== this.epoch || this.current.state !== 'online') return;
    if (this.suspectSince) {
      this.suspectSince = 0;
      this.fail(epoch, err);
      return;
    }
    this.suspectSince = Date.now();
    this.opts.log?.('warn', `publish failed (${messageOf(err)}); checking the link`);
    this.pump.pause(this.opts.publishRetryMs ?? 1000);
  }

  protected clearRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  protected start(): void {
    this.clearRetry();
    const epoch = ++this.epoch;
    if (!this.go('start', { step: 'port' })) return;
    this.attempt(epoch).catch((err) => this.fail(epoch, err));
  }

  private async attempt(epoch: number): Promise<void> {
    const live = () => epoch === this.epoch;
    if (this.cleanup) await settleWithin(this.cleanup, this.opts.disconnectTimeoutMs ?? 10000);
    this.cleanup = undefined;
    if (!live()) return;
    const stepEvent: Record<string, LinkEvent> = { port: 'port', modem: 'modem' };
    const driver = await this.opts.modem.ready((step: ModemStep) => {
      if (live()) this.go(stepEvent[step] ?? 'attach', { step });
    });
    if (!live()) return;
    // Sign type 1: the time comes from the network when the modem has it (sign-clock.ts).
    const signType = this.opts.signType ?? 0;
    const signTime = signType === 1 ? await this.signClock.timeFor(driver) : undefined;
    if (!live()) return;
    const session = driver.session(this.clientIndex);
    this.bindSession(session, epoch);
    this.go('mqtt-open', { step: 'mqtt' });
    this.pendingLinkDown = undefined;
    await session.open(this.opts.host, this.opts.port, this.opts.tls ?? false);
    if (!live()) return;
    this.throwPendingLinkDown();
    this.go('mqtt-connect', { step: 'mqtt' });
    // Fresh credentials every time: the password is keyed by the current UTC hour.
    const creds = iotdaCredentials(this.opts.deviceId, this.opts.secret, { signType, ...(signTime ? { now: signTime.now } : {}) });
    this.opts.modem.addSecret(this.opts.secret);
    this.opts.modem.addSecret(creds.password);
    await session
      .connect({ clientId: creds.clientId, username: creds.username, password: creds.password, keepalive: this.opts.keepalive ?? 120, cleanSession: true })
      .catch((err: unknown) => {
        // A refused sign type 1 login may be the clock's fault: sign-clock.ts says what to throw.
        throw signTime && errorKind(err) === 'auth' ? this.signClock.refused(driver, signTime, creds.timestamp, err) : err;
      });
    if (!live()) return;
    this.throwPendingLinkDown();
    this.go('subscribe', { step: 'subscribe' });
    const table = new Map<string, 0 | 1>();
    for (const f of systemSubscriptions(this.opts.deviceId)) table.set(f, 1);
    for (const [f, q] of this.filters) if (!table.has(f)) table.set(f, q);
    for (const [f, q] of table) {
      await session.subscribe(f, q);
      if (!live()) return;
    }
    this.backoff.reset();
    this.suspectSince = 0;
    const clock = signTime ? `, signed with the ${signTime.source} clock (${creds.timestamp})` : '';
    this.go('online', { reason: `as ${this.opts.deviceId} via ${this.opts.host}:${this.opts.port}${clock}`, ...(signTime ? { clock: signTime.source } : {}) });
    this.takeovers.online();
    driver.signal().then((q) => this.showSignal(epoch, q.percent), () => undefined);
    this.probe.start(epoch);
    this.pump.resume();
  }

  private throwPendingLinkDown(): void {
    const reason = this.pendingLinkDown;
    this.pendingLinkDown = undefined;
    if (reason !== undefined) throw new LinkError('not-connected', reason);
  }

  /** A fresh signal reading for the status, if this attempt is still the online one. */
  private showSignal(epoch: number, percent: number | undefined): void {
    if (epoch === this.epoch && this.current.state === 'online' && percent !== undefined && percent !== this.current.signal) {
      this.amend({ signal: percent });
    }
  }

  private bindSession(session: MqttSession, epoch: number): void {
    this.unbindSession?.();
    this.session = session;
    const onMessage = (topic: string, payload: Buffer) => {
      try {
        this.router.route(topic, payload);
      } catch (err) {
        this.opts.log?.('warn', `downlink on ${topic} dropped: ${messageOf(err)}`);
      }
    };
    const onLinkDown = (reason: string) => {
      if (epoch !== this.epoch || !ACTIVE_STATES.has(this.current.state)) return;
      // A refused CONNECT is followed by the broker closing the socket, and the modem's close
      // URC (+QMTSTAT) can overtake the connect result: let the pending open/connect settle
      // first, so a CONNACK 4/5 is recognised instead of retried.
      if (this.current.state === 'opening-mqtt' || this.current.state === 'connecting') {
        this.pendingLinkDown ??= reason;
        return;
      }
      this.fail(epoch, new LinkError('not-connected', reason), this.current.state === 'online');
    };
    session.on('message', onMessage);
    session.on('linkDown', onLinkDown);
    this.unbindSession = () => {
      session.off('message', onMessage);
      session.off('linkDown', onLinkDown);
    };
  }

  /** Forgets the session; if it may still be open on the modem, closes it in the background. */
  protected dropSession(): void {
    this.unbindSession?.();
    this.unbindSession = undefined;
    this.probe.stop();
    const session = this.session;
    this.session = undefined;
    // Quectel refuses a second QMTOPEN on an index that is still open: free it before retrying.
    if (session && this.opts.modem.current) this.cleanup = session.close().catch(() => undefined);
  }

  /** `droppedOnline`: the broker closed an online session (what a take-over looks like). */
  private fail(epoch: number, err: unknown, droppedOnline = false): void {
    if (epoch !== this.epoch || !ACTIVE_STATES.has(this.current.state)) return;
    this.epoch++;
    const bringingUp = BRINGUP_STATES.has(this.current.state);
    this.dropSession();
    const advice = bringingUp && this.opts.timeoutAdvice && isAtTimeout(err) ? ` ${this.opts.timeoutAdvice}` : '';
    const reason = messageOf(err) + advice;
    const summary = summaryOf(err);
    if (errorKind(err) === 'auth') {
      const connack = connackRefusal(err);
      this.go('refused', { reason, ...(summary ? { summary } : {}), ...(connack !== undefined ? { connack } : {}) });
      this.opts.log?.('warn', `IoTDA refused the login: ${reason}; not retrying until the configuration changes`);
      return;
    }
    if (droppedOnline && this.takeovers.dropped()) {
      const device = this.opts.deviceId;
      const delay = this.opts.takeoverBackoffMs ?? 300000;
      const seconds = Math.round(this.takeovers.windowMs / 1000);
      this.go('failure', {
        reason: `another connection uses device ${device} (a second flow or gateway?): dropped ${this.takeovers.count} times in a row within ${seconds} s of connecting (${reason})`,
        takenOver: device,
        retryInMs: delay,
      });
      this.retryLater(delay);
      return;
    }
    const delay = this.backoff.next();
    this.go('failure', { reason, ...(summary ? { summary } : {}), retryInMs: delay });
    this.retryLater(delay);
  }

  private retryLater(delay: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.current.state === 'backoff') this.start();
    }, delay);
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

}
