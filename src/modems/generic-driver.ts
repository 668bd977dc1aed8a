/**
 * The generic modem driver: runs a profile on an AT channel. Model differences are the
 * profile's data plus its family (./family.ts), chosen once: the MQTT session (Quectel
 * two-phase URCs vs ESP-AT finals), the downlink parser, the attach procedure, the signal
 * query and the family's own init steps.
 */
import { EventEmitter } from 'node:events';
import { AtChannel } from '../at/channel';
import { AtClosedError, ModemRebootedError } from '../at/errors';
import type { Transport } from '../transport/transport';
import type { AtChannelPort } from './channel-port';
import type { AttachOptions, ModemDriver, ModemIdentity, ModemModel, PublishLimits, SignalQuality } from './driver';
import { ModemError } from './errors';
import type { HostInterface } from './host-interface';
import { getProfile } from './load-profile';
import { checkPublish, maxPayloadFor, publishLimitsOf } from './payload-check';
import { dialectOf, familyOf } from './families';
import type { FamilySession, InitContext, ModemFamily } from './family';
import type { ModemProfile } from './profile';
import { readIdentity } from './identity';
import type { TlsSetting } from './tls-options';
import { NetworkClockReader, type NetworkTimeOptions, type NetworkTimeReading } from './network-time';
import { type DriverTrace, ProfileCommands } from './profile-commands';
import type { SessionOpenOptions } from './quectel-session';

export interface ModemDriverOptions {
  /** AT traffic (`>>`, `<<`, secrets replaced by `***`) and driver notes (`--`). */
  trace?: DriverTrace;
  /** Values to redact from traces and errors from the start (Wi-Fi password, device secret...). */
  secrets?: string[];
  /** Use this channel instead of creating one on the transport. */
  channel?: AtChannelPort;
  /** Default per-command timeout for the channel (ms). */
  defaultTimeoutMs?: number;
  /**
   * The module interface the host is on (decideHostInterface() in ./host-interface). It sets
   * where a Quectel EC20 sends its URCs (`AT+QURCCFG="urcport"`, kept in NV memory): `usb` ->
   * `usbat` (never `uart1`), `uart` -> `uart1`. Undefined: cannot be told, the module's setting
   * is left alone (docs/models/ec20.md, "URC port").
   */
  hostInterface?: HostInterface;
  /** Why hostInterface is what it is, for the log. */
  hostInterfaceReason?: string;
  /** Notable driver decisions, always logged (a change of the module's NV settings...). */
  log?: (text: string) => void;
}

/** How long init() waits for a restarting module when the profile names no `boot` timeout. */
const DEFAULT_BOOT_WAIT_MS = 30_000;
/** Init attempts on one port before a module that keeps restarting is given up. */
const MAX_INIT_ATTEMPTS = 5;
/** A quiet line this long after boot output: time to ask `AT`. */
const QUIET_MS = 200;
/** How long one `AT` probe waits for its answer while the module boots. */
const PROBE_TIMEOUT_MS = 1000;

function bootBannerMatchers(profile: ModemProfile): (string | RegExp)[] {
  return profile.bootBanners.map((b) => (b.length > 2 && b.startsWith('/') && b.endsWith('/') ? new RegExp(b.slice(1, -1)) : b));
}

export class GenericModemDriver extends EventEmitter implements ModemDriver {
  readonly profile: ModemProfile;
  readonly channel: AtChannelPort;
  private readonly cmds: ProfileCommands;
  private readonly family: ModemFamily;
  private readonly sessions = new Map<number, FamilySession>();
  private readonly removeDownlinks: () => void;
  private bootAt = 0;
  /** Boot banners seen: init() compares it before and after to notice a restart. */
  private boots = 0;
  /** The module answered the first command of the current init attempt. */
  private answeredSinceInit = false;
  private closed = false;
  private readonly log?: (text: string) => void;
  /** What the family's own init steps need (the URC port step: the host interface). */
  private readonly initContext: InitContext;
  /** The network time query of the profile (once-per-driver SNTP setup state inside). */
  private readonly networkClock: NetworkClockReader;

  constructor(
    readonly transport: Transport,
    profile: ModemProfile,
    opts: ModemDriverOptions = {},
  ) {
    super();
    this.profile = profile;
    this.family = familyOf(profile);
    if (opts.log) this.log = opts.log;
    this.channel =
      opts.channel ??
      new AtChannel(transport, {
        dialect: dialectOf(profile),
        bootBanners: bootBannerMatchers(profile),
        ...(opts.defaultTimeoutMs ? { defaultTimeoutMs: opts.defaultTimeoutMs } : {}),
        ...(opts.trace ? { trace: opts.trace } : {}),
        // Restart signs besides banners (ESP8266: docs/models/esp8266.md "Boot").
        ...(profile.rebootOnGarbage ? { rebootOnGarbage: true } : {}),
        ...(profile.echoBackIsRestart && profile.commands.echoOff ? { echoOffCommand: profile.commands.echoOff } : {}),
      });
    for (const s of opts.secrets ?? []) if (s) this.channel.addSecret(s);
    this.cmds = new ProfileCommands(this.channel, profile, opts.trace);
    this.networkClock = new NetworkClockReader(this.cmds);
    this.initContext = {
      cmds: this.cmds,
      ...(opts.hostInterface ? { hostInterface: opts.hostInterface } : {}),
      hostInterfaceReason: opts.hostInterfaceReason ?? (opts.hostInterface ? `host on the ${opts.hostInterface} interface` : 'host interface not given'),
      notice: (text) => this.notice(text),
    };
    this.removeDownlinks = this.family.attachDownlinks(this.cmds, {
      deliver: (idx, topic, payload) => this.deliver(idx, topic, payload),
      session: (idx) => this.sessions.get(idx),
    });
    this.channel.on('reboot', (line: string) => {
      this.bootAt = Date.now();
      this.boots++;
      for (const s of this.sessions.values()) s.reset();
      this.cmds.note(`modem restarted (${line}): sessions and network attach are lost`);
      this.emit('reboot');
    });
    // N command timeouts in a row or a failed resync (docs/at-channel.md): the link supervisor takes the modem for lost.
    this.channel.on('unresponsive', (reason: string) => this.emit('unresponsive', reason));
    this.channel.on('close', (reason?: Error) => {
      this.closed = true;
      this.emit('closed', reason);
    });
  }

  get model(): ModemModel {
    return this.profile.name;
  }

  get maxPayloadBytes(): number {
    return maxPayloadFor(this.profile, '', 0);
  }

  checkPayload(topic: string, payload: Buffer): void {
    checkPublish(this.profile, topic, payload, 0);
  }

  get publishLimits(): PublishLimits {
    return publishLimitsOf(this.profile);
  }

  addSecret(secret: string): void {
    if (secret) this.channel.addSecret(secret);
  }

  private deliver(idx: number, topic: string, payload: Buffer): void {
    this.sessions.get(idx)?.emit('message', topic, payload);
    this.emit('message', idx, topic, payload);
  }

  /**
   * Echo off, the profile's init steps, the identity. A module that restarts meanwhile (a boot
   * banner, or silence at the first command: boards that reset the module when the port opens,
   * host and module powered together) is waited for until it is up, then initialised again on
   * the same port; only a port that vanished is closed (docs/models/ec20.md and
   * docs/models/bc26.md, "Boot").
   */
  async init(): Promise<ModemIdentity> {
    if (!this.transport.isOpen) await this.transport.open();
    const bootWaitMs = this.profile.timeouts.boot ?? DEFAULT_BOOT_WAIT_MS;
    const deadline = Date.now() + bootWaitMs;
    for (let attempt = 1; ; attempt++) {
      const boots = this.boots;
      this.answeredSinceInit = false;
      try {
        const identity = await this.initOnce();
        if (this.boots === boots) return identity;
        this.cmds.note('the module restarted during init: initialising it again');
      } catch (err) {
        const restarted = this.boots !== boots || (err instanceof ModemError && err.cause instanceof ModemRebootedError);
        // No answer to the very first command: the module may still be booting (its banner can
        // go to another port, or be lost on a port opened mid-boot).
        const silent = !this.answeredSinceInit && err instanceof ModemError;
        if (!(restarted || silent) || this.closed || attempt >= MAX_INIT_ATTEMPTS || Date.now() >= deadline) throw err;
        this.cmds.note(`${restarted ? 'the module restarted during init' : 'no answer yet'} (${(err as Error).message}): waiting until it is up`);
      }
      await this.waitUntilUp(deadline, bootWaitMs);
    }
  }

  /**
   * Resolves once the module answers `AT`, asked after a quiet moment on the line or right after
   * a sign that its application is up (the profile's `urcs.bootReady`). Throws at the deadline.
   */
  private async waitUntilUp(deadline: number, bootWaitMs: number): Promise<void> {
    for (;;) {
      await this.quietOrReady(deadline);
      try {
        await this.channel.command({ template: 'AT', timeoutMs: PROBE_TIMEOUT_MS });
        this.cmds.note('the module answers again');
        return;
      } catch (err) {
        if (this.closed || err instanceof AtClosedError) throw this.cmds.explain(err);
        if (Date.now() >= deadline) {
          throw new ModemError('AT', 'timeout', `the module did not answer within ${bootWaitMs} ms: is it powered, and is the baud rate right?`, { cause: err });
        }
      }
    }
  }

  /** Waits for QUIET_MS without bytes from the module, or for a ready sign, or the deadline. */
  private quietOrReady(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.transport.off('data', restart);
        removeReady();
        resolve();
      };
      const restart = () => {
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, Math.min(QUIET_MS, deadline - Date.now())));
      };
      // The profile's sign that the module's application is up (`+CPIN: READY` on Quectel), if it names one.
      const removeReady = this.profile.urcs.bootReady
        ? this.channel.addUrc({ name: 'boot-ready', prefix: this.cmds.urcPrefix('bootReady'), line: this.cmds.pattern('bootReady'), onLine: done })
        : () => undefined;
      this.transport.on('data', restart);
      restart();
    });
  }

  private async initOnce(): Promise<ModemIdentity> {
    // After a boot banner ESP-AT answers `busy p...` for a moment (docs/at-pitfalls.md P8): let it settle.
    const settle = (this.profile.settleAfterBootMs ?? 0) - (Date.now() - this.bootAt);
    if (this.bootAt && settle > 0) await new Promise((r) => setTimeout(r, settle));
    await this.cmds.run('echoOff');
    this.answeredSinceInit = true;
    for (const step of this.profile.init) {
      if (!(await this.family.runInitStep(this.initContext, step))) await this.cmds.runStep(step, {});
    }
    const identity = await readIdentity(this.cmds);
    this.family.checkIdentity(this.profile, identity);
    return identity;
  }

  /** A note that is logged even without an AT trace. */
  private notice(text: string): void {
    this.cmds.note(text);
    this.log?.(text);
  }

  async attachNetwork(opts: AttachOptions): Promise<void> {
    return this.family.attachNetwork(this.cmds, opts);
  }

  networkTime(opts: NetworkTimeOptions): Promise<NetworkTimeReading> {
    return this.networkClock.read(opts);
  }

  async signal(): Promise<SignalQuality> {
    return this.family.signal(this.cmds);
  }

  session(clientIndex: number): FamilySession {
    const [first, last] = this.profile.limits.clientIndexes;
    if (!Number.isInteger(clientIndex) || clientIndex < first || clientIndex > last) {
      throw new ModemError('session', '', `client index must be ${first}..${last} on ${this.profile.name}, got ${clientIndex}`);
    }
    let s = this.sessions.get(clientIndex);
    if (!s) {
      s = this.family.createSession(this.cmds, clientIndex);
      const idx = clientIndex;
      s.on('linkDown', (reason: string) => this.emit('linkDown', idx, reason));
      this.sessions.set(clientIndex, s);
    }
    return s;
  }

  /** The session the convenience forms use: the profile's first client index. */
  private firstSession(): FamilySession {
    return this.session(this.profile.limits.clientIndexes[0]);
  }

  open(host: string, port: number, tls: TlsSetting, opts?: SessionOpenOptions): Promise<void> {
    return this.firstSession().open(host, port, tls, opts);
  }

  connect(clientId: string, username: string, password: string, keepalive: number, cleanSession: boolean): Promise<void> {
    return this.firstSession().connect({ clientId, username, password, keepalive, cleanSession });
  }

  subscribe(topic: string, qos: 0 | 1): Promise<number> {
    return this.firstSession().subscribe(topic, qos);
  }

  unsubscribe(topic: string): Promise<void> {
    return this.firstSession().unsubscribe(topic);
  }

  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    return this.firstSession().publish(topic, payload, qos);
  }

  disconnect(): Promise<void> {
    return this.firstSession().disconnect();
  }

  /** Closes the channel (failing queued commands) and the transport. Sessions are not disconnected first. */
  async close(): Promise<void> {
    this.removeDownlinks();
    if (!this.closed) await this.channel.close();
    if (this.transport.isOpen) await this.transport.close();
  }
}

/** Creates a driver for a built-in profile name (`ec20`, `bc26`, `esp8266`), a registered one or a profile object. */
export function createModemDriver(transport: Transport, profileOrModel: ModemProfile | ModemModel, opts: ModemDriverOptions = {}): GenericModemDriver {
  const profile = typeof profileOrModel === 'string' ? getProfile(profileOrModel) : profileOrModel;
  return new GenericModemDriver(transport, profile, opts);
}
