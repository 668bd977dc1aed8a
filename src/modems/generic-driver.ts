/**
 * The generic modem driver: runs a profile on an AT channel. Model differences are the
 * profile's data plus three small strategies chosen by the profile: the MQTT session
 * (Quectel two-phase URCs vs ESP-AT finals), the downlink parser and the attach procedure.
 */
import { EventEmitter } from 'node:events';
import { AtChannel } from '../at/channel';
import { espDialect, quectelDialect } from '../at/dialects';
import { AtClosedError, ModemRebootedError } from '../at/errors';
import type { Transport } from '../transport/transport';
import { attachCellular } from './cellular-attach';
import type { AtChannelPort } from './channel-port';
import type { AttachOptions, ModemDriver, ModemIdentity, ModemModel, MqttSession, PublishLimits, SignalQuality } from './driver';
import { attachEspDownlinks } from './esp-downlinks';
import { EspSession } from './esp-session';
import { ModemError } from './errors';
import type { HostInterface } from './host-interface';
import { getProfile } from './load-profile';
import { checkPublish, maxPayloadFor, publishLimitsOf } from './payload-check';
import type { InitStep, ModemProfile } from './profile';
import { type DriverTrace, isSkippable, ProfileCommands } from './profile-commands';
import { attachQuectelDownlinks } from './quectel-downlinks';
import { QuectelSession, type SessionOpenOptions } from './quectel-session';
import { attachWifi } from './wifi-attach';

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

/** The URC port value for each host interface (`AT+QURCCFG="urcport",<value>`). */
const URC_PORT_FOR: Record<HostInterface, string> = { usb: 'usbat', uart: 'uart1' };

type Session = (QuectelSession | EspSession) & MqttSession;

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
  private readonly sessions = new Map<number, Session>();
  private readonly removeDownlinks: () => void;
  private bootAt = 0;
  /** Boot banners seen: init() compares it before and after to notice a restart. */
  private boots = 0;
  /** The module answered the first command of the current init attempt. */
  private answeredSinceInit = false;
  private closed = false;
  private readonly hostInterface?: HostInterface;
  private readonly hostInterfaceReason: string;
  private readonly log?: (text: string) => void;

  constructor(
    readonly transport: Transport,
    profile: ModemProfile,
    opts: ModemDriverOptions = {},
  ) {
    super();
    this.profile = profile;
    if (opts.hostInterface) this.hostInterface = opts.hostInterface;
    this.hostInterfaceReason = opts.hostInterfaceReason ?? (opts.hostInterface ? `host on the ${opts.hostInterface} interface` : 'host interface not given');
    if (opts.log) this.log = opts.log;
    this.channel =
      opts.channel ??
      (new AtChannel(transport, {
        dialect: profile.dialect === 'esp' ? espDialect : quectelDialect,
        bootBanners: bootBannerMatchers(profile),
        ...(opts.defaultTimeoutMs ? { defaultTimeoutMs: opts.defaultTimeoutMs } : {}),
        ...(opts.trace ? { trace: opts.trace } : {}),
        // Restart signs besides banners (ESP8266: docs/models/esp8266.md "Boot").
        ...(profile.rebootOnGarbage ? { rebootOnGarbage: true } : {}),
        ...(profile.echoBackIsRestart && profile.commands.echoOff ? { echoOffCommand: profile.commands.echoOff } : {}),
      }) as unknown as AtChannelPort);
    for (const s of opts.secrets ?? []) if (s) this.channel.addSecret(s);
    this.cmds = new ProfileCommands(this.channel, profile, opts.trace);
    this.removeDownlinks =
      profile.family === 'esp'
        ? attachEspDownlinks(this.cmds, {
            message: (idx, topic, payload) => this.deliver(idx, topic, payload),
            disconnected: (idx) => (this.sessions.get(idx) as EspSession | undefined)?.handleDisconnected(),
          })
        : attachQuectelDownlinks(this.cmds, {
            message: (idx, topic, payload) => this.deliver(idx, topic, payload),
            status: (idx, code) => {
              const s = this.sessions.get(idx) as QuectelSession | undefined;
              if (s) s.handleStatus(code);
              else this.cmds.note(`ignoring +QMTSTAT: ${idx},${code} for an unused client index`);
            },
            hasLength: (idx) => (this.sessions.get(idx) as QuectelSession | undefined)?.recvLength ?? profile.recvHasLength === true,
          });
    this.channel.on('reboot', (line: string) => {
      this.bootAt = Date.now();
      this.boots++;
      for (const s of this.sessions.values()) s.reset();
      this.cmds.note(`modem restarted (${line}): sessions and network attach are lost`);
      this.emit('reboot');
    });
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
   * a sign that its application is up (`+CPIN: READY`). Throws at the deadline.
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
      const removeReady = this.channel.addUrc({ name: 'boot-ready', prefix: '+CPIN:', line: /^\+CPIN: *READY/, onLine: done });
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
      if (step.command === 'urcPort') await this.configureUrcPort(step);
      else await this.cmds.runStep(step, {});
    }
    const identity: ModemIdentity = { model: this.profile.name, firmware: 'unknown' };
    for (const step of this.profile.identity) {
      let lines: readonly string[] = [];
      try {
        lines = (await this.cmds.run(step.command, {}, { responsePrefixes: step.responsePrefixes })).lines;
      } catch (err) {
        if (!isSkippable(err)) throw err;
        this.cmds.note(`identity step ${step.command} failed: ${err.message}`);
      }
      for (const [field, src] of Object.entries(step.fields)) {
        const re = new RegExp(src as string);
        for (const line of lines) {
          const m = re.exec(line.trim());
          if (m) {
            identity[field as 'model' | 'firmware' | 'imei' | 'mac'] = m[1];
            break;
          }
        }
      }
    }
    this.checkFirmware(identity);
    return identity;
  }

  /** A note that is logged even without an AT trace. */
  private notice(text: string): void {
    this.cmds.note(text);
    this.log?.(text);
  }

  /**
   * Quectel URC port (kept in NV memory, factory `usbat`): read it, and change it only when it
   * differs from what the host interface needs; leave it alone when the interface is not known
   * (docs/models/ec20.md, "URC port").
   */
  private async configureUrcPort(step: InitStep): Promise<void> {
    if (!this.hostInterface) {
      this.notice(`URC port left as the module has it: ${this.hostInterfaceReason}`);
      return;
    }
    const want = URC_PORT_FOR[this.hostInterface];
    let current: string | undefined;
    if (this.profile.commands.urcPortQuery) {
      try {
        const res = await this.cmds.run('urcPortQuery', {}, { responsePrefixes: ['+QURCCFG:'] });
        current = res.lines.map((l) => /"urcport" *, *"([^"]*)"/i.exec(l)?.[1]).find((v) => v !== undefined)?.toLowerCase();
      } catch (err) {
        if (!isSkippable(err)) throw err;
        this.cmds.note(`URC port query refused (${err.message})`);
      }
    }
    if (current === want) {
      this.cmds.note(`URC port is ${want} already (${this.hostInterfaceReason})`);
      return;
    }
    if (await this.cmds.runStep(step, { urcPort: want })) {
      this.notice(`URC port changed from ${current ?? 'unknown'} to ${want} in the module's NV memory: ${this.hostInterfaceReason}`);
    }
  }

  private checkFirmware(identity: ModemIdentity): void {
    const min = this.profile.minFirmware;
    if (!min) return;
    const m = /^(\d+)\.(\d+)/.exec(identity.firmware);
    if (!m) return;
    const [minMajor, minMinor] = min.split('.').map(Number);
    const major = Number(m[1]);
    const minor = Number(m[2]);
    if (major < minMajor || (major === minMajor && minor < minMinor)) {
      throw new ModemError('AT+GMR', `AT version:${identity.firmware}`, `firmware without the MQTT AT commands IoTDA needs: flash Espressif ESP-AT >= ${min}`);
    }
  }

  async attachNetwork(opts: AttachOptions): Promise<void> {
    if (this.profile.attach.kind === 'wifi') return attachWifi(this.cmds, opts);
    return attachCellular(this.cmds, opts);
  }

  async signal(): Promise<SignalQuality> {
    if (this.profile.family === 'esp') {
      const res = await this.cmds.run('rssi', {}, { responsePrefixes: ['+CWJAP:'] });
      const pattern = this.cmds.pattern('rssi');
      const dbm = res.lines.map((l) => pattern.exec(l)?.[1]).find((v) => v !== undefined);
      if (dbm === undefined) throw new ModemError(res.command, '', 'not joined to a Wi-Fi network');
      const raw = Number(dbm);
      return { raw, dbm: raw, percent: Math.max(0, Math.min(100, 2 * (raw + 100))) };
    }
    const res = await this.cmds.run('csq', {}, { responsePrefixes: ['+CSQ:'] });
    const raw = Number(/\+CSQ: *(\d+)/.exec(res.lines[0] ?? '')?.[1] ?? 99);
    if (raw === 99 || raw > 31) return { raw };
    return { raw, dbm: -113 + 2 * raw, percent: Math.round((raw / 31) * 100) };
  }

  session(clientIndex: number): MqttSession {
    const [first, last] = this.profile.limits.clientIndexes;
    if (!Number.isInteger(clientIndex) || clientIndex < first || clientIndex > last) {
      throw new ModemError('session', '', `client index must be ${first}..${last} on ${this.profile.name}, got ${clientIndex}`);
    }
    let s = this.sessions.get(clientIndex);
    if (!s) {
      s = this.profile.family === 'esp' ? new EspSession(this.cmds, clientIndex) : new QuectelSession(this.cmds, clientIndex);
      const idx = clientIndex;
      s.on('linkDown', (reason: string) => this.emit('linkDown', idx, reason));
      this.sessions.set(clientIndex, s);
    }
    return s;
  }

  open(host: string, port: number, tls: boolean, opts?: SessionOpenOptions): Promise<void> {
    const s = this.session(this.profile.limits.clientIndexes[0]);
    return s instanceof QuectelSession ? s.open(host, port, tls, opts) : s.open(host, port, tls);
  }

  connect(clientId: string, username: string, password: string, keepalive: number, cleanSession: boolean): Promise<void> {
    return this.session(this.profile.limits.clientIndexes[0]).connect({ clientId, username, password, keepalive, cleanSession });
  }

  subscribe(topic: string, qos: 0 | 1): Promise<number> {
    return this.session(this.profile.limits.clientIndexes[0]).subscribe(topic, qos);
  }

  unsubscribe(topic: string): Promise<void> {
    return this.session(this.profile.limits.clientIndexes[0]).unsubscribe(topic);
  }

  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    return this.session(this.profile.limits.clientIndexes[0]).publish(topic, payload, qos);
  }

  disconnect(): Promise<void> {
    return this.session(this.profile.limits.clientIndexes[0]).disconnect();
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
