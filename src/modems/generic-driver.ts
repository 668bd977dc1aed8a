/**
 * The generic modem driver: runs a profile on an AT channel. Model differences are the
 * profile's data plus three small strategies chosen by the profile: the MQTT session
 * (Quectel two-phase URCs vs ESP-AT finals), the downlink parser and the attach procedure.
 */
import { EventEmitter } from 'node:events';
import { AtChannel } from '../at/channel';
import { espDialect, quectelDialect } from '../at/dialects';
import type { Transport } from '../transport/transport';
import { attachCellular } from './cellular-attach';
import type { AtChannelPort } from './channel-port';
import type { AttachOptions, ModemDriver, ModemIdentity, ModemModel, MqttSession, SignalQuality } from './driver';
import { attachEspDownlinks } from './esp-downlinks';
import { EspSession } from './esp-session';
import { ModemError } from './errors';
import { getProfile } from './load-profile';
import { checkPublish, maxPayloadFor } from './payload-check';
import type { ModemProfile } from './profile';
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
   * Quectel: where the module sends its URCs (`AT+QURCCFG="urcport"`, saved in NVM). `uart1`
   * (default) when the host is on the main UART; `usbat` when it is on the USB AT port
   * (/dev/ttyUSB2 on most EC20 sticks); `leave` to keep the module's setting.
   */
  urcPort?: 'uart1' | 'usbat' | 'leave';
}

type Session = (QuectelSession | EspSession) & MqttSession;

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
  private closed = false;
  private readonly urcPort: 'uart1' | 'usbat' | 'leave';

  constructor(
    readonly transport: Transport,
    profile: ModemProfile,
    opts: ModemDriverOptions = {},
  ) {
    super();
    this.profile = profile;
    this.urcPort = opts.urcPort ?? 'uart1';
    this.channel =
      opts.channel ??
      (new AtChannel(transport, {
        dialect: profile.dialect === 'esp' ? espDialect : quectelDialect,
        bootBanners: bootBannerMatchers(profile),
        ...(opts.defaultTimeoutMs ? { defaultTimeoutMs: opts.defaultTimeoutMs } : {}),
        ...(opts.trace ? { trace: opts.trace } : {}),
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
          });
    this.channel.on('reboot', (line: string) => {
      this.bootAt = Date.now();
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

  private deliver(idx: number, topic: string, payload: Buffer): void {
    this.sessions.get(idx)?.emit('message', topic, payload);
    this.emit('message', idx, topic, payload);
  }

  async init(): Promise<ModemIdentity> {
    if (!this.transport.isOpen) await this.transport.open();
    // After a boot banner ESP-AT answers `busy p...` for a moment (P8): let it settle.
    const settle = (this.profile.settleAfterBootMs ?? 0) - (Date.now() - this.bootAt);
    if (this.bootAt && settle > 0) await new Promise((r) => setTimeout(r, settle));
    try {
      await this.cmds.run('echoOff');
    } catch (err) {
      // The first command after power-up can meet boot noise or the boot banner itself
      // (the modem was just powered): one retry is enough to resync.
      if (!(err instanceof ModemError)) throw err;
      await this.cmds.run('echoOff');
    }
    for (const step of this.profile.init) {
      if (step.command === 'urcPort' && this.urcPort === 'leave') continue;
      await this.cmds.runStep(step, { urcPort: this.urcPort });
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
