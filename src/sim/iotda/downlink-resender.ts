/**
 * Resends of unacknowledged QoS 1 downlinks, as Huawei's message delivery page documents them
 * (docs/iotda.md §1.7):
 * - no PUBACK: resent every 2 s, 3 times, on the same connection (same packet id, DUP set);
 * - still unacknowledged and still cached: when the device comes back or subscribes again,
 *   resent every 10 s, 5 times, and each of those resends starts the 2 s resends again.
 * The platform's page describes messages; the emulator treats every QoS 1 downlink alike, a
 * command or property request staying "cached" while its 20 s wait runs.
 *
 * A round needs a QoS 1 subscription on the device's live connection. A clean session has none
 * at CONNACK, so in practice the rounds start with the device's SUBSCRIBE (UNCONFIRMED whether
 * the platform instead sends at QoS 0 through the implicit subscription on reconnect).
 */

export interface ResendTiming {
  /** Wait for a PUBACK before a resend (platform: 2 s). */
  intervalMs: number;
  /** Resends after each send (platform: 3). */
  count: number;
  /** Time between the rounds after a reconnect or subscribe (platform: 10 s). */
  roundIntervalMs: number;
  /** Rounds while the message is cached (platform: 5). */
  rounds: number;
}

export const PLATFORM_RESEND_TIMING: ResendTiming = { intervalMs: 2000, count: 3, roundIntervalMs: 10_000, rounds: 5 };

/** What the resender needs from the broker; `C` is one live device connection. */
export interface ResendHost<C> {
  /** The device's live connection when it holds a QoS 1 subscription matching `topic`. */
  qos1Connection(deviceId: string, topic: string): C | undefined;
  isLive(conn: C): boolean;
  nextPacketId(conn: C): number;
  writeQos1(conn: C, topic: string, payload: Buffer, messageId: number, dup: boolean): void;
  log(line: string): void;
  event(type: string, deviceId: string, data: Record<string, unknown>): void;
}

type Phase = 'sending' | 'waiting' | 'rounds';

interface Tracked<C> {
  deviceId: string;
  topic: string;
  payload: Buffer;
  expiresAt: number;
  phase: Phase;
  conn?: C;
  messageId?: number;
  sends: number;
  burstLeft: number;
  roundsLeft: number;
  burstTimer?: NodeJS.Timeout;
  roundTimer?: NodeJS.Timeout;
}

/** The platform caches 20 messages per device (docs/iotda.md §1.3). */
const MAX_TRACKED_PER_DEVICE = 20;

export class DownlinkResender<C> {
  private readonly tracked: Tracked<C>[] = [];
  private readonly lostPubacks = new Map<string, number>();

  constructor(
    private readonly host: ResendHost<C>,
    private readonly timing: ResendTiming,
  ) {}

  /** Sends a QoS 1 downlink on `conn` and keeps it until a PUBACK, expiry or forget(). */
  send(deviceId: string, conn: C, topic: string, payload: Buffer, keepMs: number): void {
    const t: Tracked<C> = {
      deviceId,
      topic,
      payload,
      expiresAt: Date.now() + keepMs,
      phase: 'sending',
      sends: 0,
      burstLeft: 0,
      roundsLeft: this.timing.rounds,
    };
    const ofDevice = this.tracked.filter((x) => x.deviceId === deviceId);
    if (ofDevice.length >= MAX_TRACKED_PER_DEVICE) this.drop(ofDevice[0], 'cache full (20 per device)');
    this.tracked.push(t);
    this.burst(t, conn);
  }

  /** The device acknowledged `messageId` on `conn`. */
  puback(deviceId: string, conn: C, messageId: number): void {
    const t = this.tracked.find((x) => x.conn === conn && x.messageId === messageId);
    if (!t) return;
    const lost = this.lostPubacks.get(deviceId) ?? 0;
    if (lost > 0) {
      this.lostPubacks.set(deviceId, lost - 1);
      this.host.log(`${deviceId}: PUBACK for packet ${messageId} lost (injected fault)`);
      return;
    }
    this.stop(t);
    this.host.event('downlink-acked', deviceId, { topic: t.topic, sends: t.sends });
  }

  /** The device came back (CONNACK written) or subscribed: waiting downlinks start their rounds. */
  resume(deviceId: string): void {
    for (const t of this.tracked.filter((x) => x.deviceId === deviceId && x.phase === 'waiting')) {
      if (this.host.qos1Connection(deviceId, t.topic) === undefined) continue;
      t.phase = 'rounds';
      this.round(t);
    }
  }

  /** The connection closed: its downlinks wait for the device to come back. */
  closed(conn: C): void {
    for (const t of this.tracked.filter((x) => x.conn === conn)) this.wait(t);
  }

  /** The downlink no longer needs delivery (a request was answered or timed out). */
  forget(deviceId: string, topic: string): void {
    for (const t of this.tracked.filter((x) => x.deviceId === deviceId && x.topic === topic)) this.stop(t);
  }

  /** Fault: the next `count` PUBACKs from the device are lost on the way to the platform. */
  losePubacks(deviceId: string, count: number): void {
    this.lostPubacks.set(deviceId, count);
  }

  /** The device's downlinks still awaiting a PUBACK, with the packets sent for each so far. */
  unacknowledged(deviceId: string): { topic: string; sends: number; phase: Phase }[] {
    return this.tracked.filter((x) => x.deviceId === deviceId).map((x) => ({ topic: x.topic, sends: x.sends, phase: x.phase }));
  }

  close(): void {
    for (const t of [...this.tracked]) this.stop(t);
  }

  /** One send followed by up to `count` resends at `intervalMs` while no PUBACK comes. */
  private burst(t: Tracked<C>, conn: C): void {
    clearTimeout(t.burstTimer);
    if (t.conn !== conn) {
      // §2.3.1: packet ids belong to one network connection; a new one gets a new id.
      t.conn = conn;
      t.messageId = this.host.nextPacketId(conn);
      this.write(t, false);
    } else {
      this.write(t, true);
    }
    t.burstLeft = this.timing.count;
    this.scheduleBurst(t);
  }

  private scheduleBurst(t: Tracked<C>): void {
    t.burstTimer = setTimeout(() => {
      t.burstTimer = undefined;
      if (t.conn === undefined || !this.host.isLive(t.conn)) return this.wait(t);
      if (t.burstLeft > 0) {
        t.burstLeft--;
        this.write(t, true);
        return this.scheduleBurst(t);
      }
      if (t.phase === 'sending') return this.wait(t);
      if (t.roundsLeft === 0) this.drop(t, `no PUBACK after ${t.sends} sends`);
    }, this.timing.intervalMs);
  }

  private round(t: Tracked<C>): void {
    clearTimeout(t.roundTimer);
    t.roundTimer = undefined;
    if (Date.now() > t.expiresAt) return this.drop(t, 'expired from the cache');
    const conn = this.host.qos1Connection(t.deviceId, t.topic);
    if (conn === undefined) return this.wait(t);
    t.roundsLeft--;
    this.burst(t, conn);
    if (t.roundsLeft > 0) t.roundTimer = setTimeout(() => this.round(t), this.timing.roundIntervalMs);
  }

  private wait(t: Tracked<C>): void {
    clearTimeout(t.burstTimer);
    clearTimeout(t.roundTimer);
    t.burstTimer = t.roundTimer = undefined;
    if (t.roundsLeft === 0) return this.drop(t, `no PUBACK after ${t.sends} sends`);
    if (t.phase === 'waiting') return;
    t.phase = 'waiting';
    this.host.event('downlink-waiting', t.deviceId, { topic: t.topic, sends: t.sends, roundsLeft: t.roundsLeft });
  }

  private write(t: Tracked<C>, dup: boolean): void {
    t.sends++;
    if (dup) this.host.log(`${t.deviceId}: no PUBACK for packet ${t.messageId}, resending ${t.topic}`);
    this.host.writeQos1(t.conn!, t.topic, t.payload, t.messageId!, dup);
  }

  private drop(t: Tracked<C>, reason: string): void {
    this.stop(t);
    this.host.log(`${t.deviceId}: downlink to ${t.topic} given up: ${reason}`);
    this.host.event('downlink-undelivered', t.deviceId, { topic: t.topic, sends: t.sends, reason });
  }

  private stop(t: Tracked<C>): void {
    clearTimeout(t.burstTimer);
    clearTimeout(t.roundTimer);
    const at = this.tracked.indexOf(t);
    if (at >= 0) this.tracked.splice(at, 1);
  }
}
