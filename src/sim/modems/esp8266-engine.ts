/**
 * The ESP8266 / ESP-AT dialect, modem side: line discipline, commands, Wi-Fi and MQTT state,
 * and the model-specific faults. It follows Espressif's manual, release files and real captures
 * (docs/models/esp8266.md names the source of each behaviour), not any driver's expectations,
 * and shares nothing with src/at or src/modems.
 *
 * It knows nothing about streams or pacing: bytes come in through `input()`, and go out through
 * the `send` callback of its host (the emulator core paces them and records the transcript).
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { checkShape, parseEspArgs, type EspParam, type ParamShape } from './esp8266-args';
import { DEFAULT_ESP_FIRMWARE, espFirmwareTraits, type EspFirmware, type EspFirmwareTraits } from './esp8266-firmware';
import { romLogAt115200 } from './esp8266-boot-log';
import { EspSntp } from './esp8266-sntp';
import { CommandFaultCounters } from './emulator-base';
import type { ModemEmulatorOptions } from './types';
import { ESP8266_MQTT_BUFFER, fitsPublishBuffer, subRecvFragments, subRecvUrc } from './esp8266-mqtt-frames';

export interface EspWifiNetwork {
  ssid: string;
  password: string;
  /** Signal strength reported by CWJAP? and CWLAP (default -55). */
  rssi?: number;
}

export interface EspEngineOptions {
  firmware?: EspFirmware;
  /** Known access points. Absent: any SSID/password joins (friendly default for flow debugging). */
  wifiNetworks?: EspWifiNetwork[];
  /** Record malformed commands as violations. */
  strict?: boolean;
  /** Latency range of result lines and URCs, in ms (default 5-25). */
  latencyMs?: [number, number];
  /** Where the MQTT.js client really connects. */
  resolveBroker?: (host: string, port: number) => { host: string; port: number };
  /** CONFIG_MQTT_BUFFER_SIZE of the build: publish limit and downlink piece size (default 512). */
  mqttBufferBytes?: number;
  /** `ready` after a boot is lost (garbled with the ROM log, or missed by the host): default false. */
  bootLosesReady?: boolean;
  /**
   * Pins of the AT port. `tx1-rx3` (default: WROOM-02-N factory parameters, ESP-01 boards, NonOS
   * AT) shares GPIO1 with the boot ROM, so the host sees the ROM log; `tx15-rx13` (the WROOM-02
   * and ESP8266_1MB factory parameters) does not.
   */
  atPins?: 'tx1-rx3' | 'tx15-rx13';
  /**
   * While AT+CWJAP runs, the module also prints `busy p...` between its Wi-Fi URCs, as capture
   * esp_at_5.txt shows (default false).
   */
  joinBusy?: boolean;
  /**
   * A stored station configuration (AT+CWJAP saved in flash, auto-connect on): after `ready` the
   * module joins this SSID of `wifiNetworks` by itself and prints WIFI CONNECTED, WIFI GOT IP
   * (capture esp_at_1.txt).
   */
  storedWifi?: string;
  /** The time SNTP syncs to (ModemEmulatorOptions.networkClock; esp8266-sntp.ts). */
  networkClock?: ModemEmulatorOptions['networkClock'];
}

export interface EspEngineHost {
  /** Bytes modem -> host, in order. */
  send(bytes: Buffer): void;
  /** A strict-mode finding. */
  violation(text: string): void;
  /** Free-form diagnostics (downlink arrived, MQTT error...). */
  log?(text: string): void;
  /**
   * The emulator core's generic per-command faults (busy, ERROR on the Nth command, extra
   * latency); without a core the engine counts with its own.
   */
  commandFaults?: CommandFaultCounters;
  /** The modem rebooted by itself (AT+RST): the core announces it. */
  rebooted?(): void;
  /** The application is up after a boot (it takes commands), whether or not `ready` was seen. */
  up?(): void;
}

/** ERR CODE categories (the xx of 0x01xxyyyy). */
const ERR = {
  noTerminator: 0x02,
  lengthMismatch: 0x04,
  paramCount: 0x06,
  invalidParam: 0x07,
  parseFailed: 0x08,
  unsupported: 0x09,
  execFailed: 0x0a,
  busy: 0x0b,
} as const;

/** MQTT yyyy codes. */
const MQTT_ERR = {
  notConfigured: 0x6001,
  alreadyConnected: 0x6004,
  clientIdTooLong: 0x6016,
  usernameTooLong: 0x6019,
  passwordTooLong: 0x601c,
  topicTooLong: 0x6043,
  dataReadFailed: 0x6044,
  disconnected: 0x6051,
} as const;

/** AT+MQTTCONN? states. */
const enum MqttState {
  Uninit = 0,
  UserCfg = 1,
  ConnCfg = 2,
  Disconnected = 3,
  Connected = 4,
  Subscribed = 6,
}

class CommandFailure extends Error {
  constructor(
    readonly category: number,
    readonly code = 0,
    /** Lines printed before the final (e.g. `+CWJAP:2`, `+MQTTDISCONNECTED:0`). */
    readonly lines: string[] = [],
    readonly final = 'ERROR',
  ) {
    super(`ESP command failed 0x01${category.toString(16).padStart(2, '0')}${code.toString(16).padStart(4, '0')}`);
  }
}

interface RawWait {
  remaining: number;
  chunks: Buffer[];
  resolve: (data: Buffer) => void;
}

interface MqttConfig {
  scheme: number;
  clientId: Buffer;
  username: Buffer;
  password: Buffer;
  path: Buffer;
  keepalive: number;
  disableClean: boolean;
  lwtTopic: Buffer;
  lwtMsg: Buffer;
  lwtQos: number;
  lwtRetain: boolean;
}

const CRLF = '\r\n';
const LINE_LIMIT = 256; // a command line, terminator included, must stay under this
const MAX_SUBSCRIPTIONS = 10;
const AUTO_RECONNECT_MS = 1000;
const HOST_LIMIT = 128;
const STA_MAC = '18:fe:34:a1:b2:c3';
const AP_BSSID = 'c8:3a:35:0e:22:f1';

/** How long the ROM and the second-stage bootloader take before the application starts. */
const ROM_LOG_MS = 30;

/** Commands MQTT-less firmware does not know (answered ERROR, not a host violation). */
const MQTT_COMMANDS = new Set([
  'MQTTUSERCFG', 'MQTTLONGCLIENTID', 'MQTTLONGUSERNAME', 'MQTTLONGPASSWORD', 'MQTTCLIENTID', 'MQTTUSERNAME',
  'MQTTPASSWORD', 'MQTTCONNCFG', 'MQTTCONN', 'MQTTPUB', 'MQTTPUBRAW', 'MQTTSUB', 'MQTTUNSUB', 'MQTTCLEAN',
]);

export class Esp8266Engine {
  readonly firmware: EspFirmware;
  private readonly traits: EspFirmwareTraits;
  private readonly opts: EspEngineOptions;

  // line discipline
  private lineBuf = Buffer.alloc(0);
  private raw: RawWait | null = null;
  private executing = false;
  private generation = 0;
  /** A real ESP8266 is deaf until it prints `ready`: bytes sent while it boots are lost. */
  private booting = false;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The link dropped while AT+MQTTPUBRAW data was being entered: the result gets the URC glued on. */
  private pubRawDrop = false;

  // settings lost on reboot
  private echo = true;
  private sysLog = false;
  private cwMode = 1;
  private wifi: { ssid: string; rssi: number } | null = null;
  private mqttState: MqttState = MqttState.Uninit;
  private mqttCfg: MqttConfig | null = null;
  private mqttTarget: { host: string; port: number; reconnect: number } | null = null;
  private mqtt: MqttClient | null = null;
  private readonly subs = new Map<string, number>();

  /** Downlinks waiting to be printed, in arrival order (a reboot starts a new chain). */
  private downlinks: Promise<void> = Promise.resolve();
  /** AT+MQTTPUBRAW is between its prompt and the end of its data. */
  private executingPubRaw = false;

  // faults
  private dropLinkInNextPubRaw = false;
  private dropLinkOnData = false;
  /** busy, ERROR on the Nth command, extra latency: the emulator core's counters when it hosts the engine. */
  private readonly commandFaults: CommandFaultCounters;
  private nextJoinFailure = 0;
  private nextConnackRefusal = 0;
  private readonly sntp: EspSntp;

  constructor(
    private readonly host: EspEngineHost,
    opts: EspEngineOptions = {},
  ) {
    this.opts = opts;
    this.firmware = opts.firmware ?? DEFAULT_ESP_FIRMWARE;
    this.traits = espFirmwareTraits(this.firmware);
    this.sntp = new EspSntp(opts.networkClock);
    this.commandFaults = host.commandFaults ?? new CommandFaultCounters();
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Power-on or reset: deaf until the application is up; the ROM log at 74880 baud (garbage at
   * 115200), then `ready` (unless `bootLosesReady`). Echo is on. `resetCause` 1 = power-on,
   * 2 = reset pin or software reset, as the ROM prints it.
   */
  powerOn(bootDelayMs: number, resetCause: 1 | 2 = 1, loseReady = this.opts.bootLosesReady ?? false, loseRomLog = false): void {
    const gen = this.generation;
    this.booting = true;
    this.after(bootDelayMs, () => {
      if (gen !== this.generation) return;
      if (loseRomLog || this.opts.atPins === 'tx15-rx13') this.host.log?.('esp8266: ROM log not on the AT port');
      else this.send(romLogAt115200(resetCause));
      this.after(ROM_LOG_MS, () => {
        if (gen !== this.generation) return;
        this.booting = false;
        if (loseReady) this.host.log?.('esp8266: `ready` lost');
        else this.send(`${CRLF}ready${CRLF}`);
        this.host.up?.();
        this.autoJoin(gen);
      });
    });
  }

  /** Reboot: every setting and the MQTT link are lost; the boot output follows. */
  reboot(bootDelayMs = 20): void {
    this.reset();
    this.powerOn(bootDelayMs, 2);
  }

  /** A stored station configuration joins by itself after boot (capture esp_at_1.txt). */
  private autoJoin(gen: number): void {
    const ssid = this.opts.storedWifi;
    if (ssid === undefined) return;
    const net = this.opts.wifiNetworks?.find((n) => n.ssid === ssid);
    if (this.opts.wifiNetworks && !net) return;
    this.afterLatency(gen, () => {
      if (this.wifi) return;
      this.send(`WIFI CONNECTED${CRLF}`);
      this.afterLatency(gen, () => {
        this.wifi = { ssid, rssi: net?.rssi ?? -55 };
        this.sntp.joined(true);
        this.send(`WIFI GOT IP${CRLF}`);
      });
    });
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  /** Forget everything volatile, silently (no URC): echo on, Wi-Fi and MQTT gone, timers cancelled. */
  reset(): void {
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.lineBuf = Buffer.alloc(0);
    this.raw = null;
    this.downlinks = Promise.resolve();
    this.pubRawDrop = false;
    this.executingPubRaw = false;
    this.dropLinkOnData = false;
    this.executing = false;
    this.echo = true;
    this.sysLog = false;
    this.cwMode = 1;
    this.wifi = null;
    this.dropMqttClient();
    this.mqttState = MqttState.Uninit;
    this.mqttCfg = null;
    this.mqttTarget = null;
    this.subs.clear();
    this.sntp.reset();
  }

  // ---------------------------------------------------------------- faults

  /** The next `count` command lines answer `busy p...` without running. */
  faultBusy(count: number): void {
    this.commandFaults.busy(count);
  }
  /** The nth command line from now answers ERROR without running (1 = the next one). */
  faultErrorOnCommand(n: number): void {
    this.commandFaults.errorOnCommand(n);
  }
  /** Extra latency before every answer. */
  faultDelay(ms: number): void {
    this.commandFaults.delay(ms);
  }
  /** The next CWJAP fails with `+CWJAP:<code>` (1 timeout, 2 wrong password, 3 no AP, 4 failed). */
  faultWifiJoin(code: 1 | 2 | 3 | 4): void {
    this.nextJoinFailure = code;
  }
  /** The broker refuses the next MQTTCONN (the emulator closes the socket as a CONNACK refusal would). */
  faultConnectRefused(): void {
    this.nextConnackRefusal = 1;
  }
  /** Wi-Fi drops: `WIFI DISCONNECT`, and the MQTT link with it. */
  faultWifiLost(): void {
    if (!this.wifi) return;
    this.wifi = null;
    this.send(`WIFI DISCONNECT${CRLF}`);
    this.linkLost();
  }
  /** The broker link is lost: `+MQTTDISCONNECTED:0`. */
  faultDropLink(): void {
    this.linkLost();
  }
  /** The broker link is lost while the next AT+MQTTPUBRAW's data is being entered. */
  faultDropLinkDuringPublish(): void {
    this.dropLinkInNextPubRaw = true;
  }

  private get bufferBytes(): number {
    return this.opts.mqttBufferBytes ?? ESP8266_MQTT_BUFFER;
  }

  // ---------------------------------------------------------------- input

  input(chunk: Buffer): void {
    if (this.closed || this.booting) return;
    let data = chunk;
    while (data.length > 0) {
      if (this.raw) {
        if (this.dropLinkOnData) {
          this.dropLinkOnData = false;
          this.linkLost();
        }
        const take = Math.min(this.raw.remaining, data.length);
        this.raw.chunks.push(data.subarray(0, take));
        this.raw.remaining -= take;
        data = data.subarray(take);
        if (this.raw.remaining === 0) {
          const done = this.raw;
          this.raw = null;
          done.resolve(Buffer.concat(done.chunks));
        }
        continue;
      }
      const lf = data.indexOf(0x0a);
      if (lf < 0) {
        this.lineBuf = Buffer.concat([this.lineBuf, data]);
        return;
      }
      const line = Buffer.concat([this.lineBuf, data.subarray(0, lf + 1)]);
      this.lineBuf = Buffer.alloc(0);
      data = data.subarray(lf + 1);
      this.onLine(line);
    }
  }

  private onLine(lineWithLf: Buffer): void {
    const wellTerminated = lineWithLf.length >= 2 && lineWithLf[lineWithLf.length - 2] === 0x0d;
    const body = lineWithLf.subarray(0, lineWithLf.length - (wellTerminated ? 2 : 1));
    if (body.length === 0 && wellTerminated) return; // a bare CR LF is ignored by the firmware
    if (this.echo) this.send(lineWithLf);
    if (!wellTerminated) this.violate(`line not terminated by CR LF: ${printable(body)}`);
    if (this.executing) {
      // Strictly serial: a line arriving while a command runs is refused (docs/models/esp8266.md "Line discipline").
      this.send(`busy p...${CRLF}`);
      return;
    }
    const fault = this.commandFaults.take();
    if (fault === 'busy') {
      this.send(`busy p...${CRLF}`);
      return;
    }
    this.executing = true;
    const gen = this.generation;
    // Every path of run() ends in sendFinal() (or a reboot), which clears `executing`.
    void this.run(body, gen, fault === 'error');
  }

  private async run(body: Buffer, gen: number, injectedError: boolean): Promise<void> {
    const text = body.toString('latin1');
    try {
      if (body.length + 2 >= LINE_LIMIT) {
        this.violate(`command line of ${body.length + 2} bytes (limit < ${LINE_LIMIT}): ${printable(body.subarray(0, 40))}...`);
        throw new CommandFailure(ERR.lengthMismatch);
      }
      if (injectedError) throw new CommandFailure(ERR.execFailed);
      await this.pause(gen);
      const lines = await this.dispatch(text, body, gen);
      if (gen !== this.generation) return;
      if (lines !== null) this.sendFinal(lines.map((l) => l + CRLF).join('') + `${CRLF}OK${CRLF}`);
    } catch (err) {
      if (gen !== this.generation || this.closed) return;
      if (!(err instanceof CommandFailure)) {
        this.host.log?.(`esp8266: internal error on ${printable(body)}: ${String(err)}`);
        this.sendFinal(`${CRLF}ERROR${CRLF}`);
        return;
      }
      let out = err.lines.map((l) => l + CRLF).join('');
      if (this.sysLog) out += `ERR CODE:0x01${hex(err.category, 2)}${hex(err.code, 4)}${CRLF}`;
      out += `${CRLF}${err.final}${CRLF}`;
      this.sendFinal(out);
    }
  }

  /**
   * Run one command. Returns the information lines to print before `OK`, or null when the
   * handler already printed its own final.
   */
  private async dispatch(text: string, body: Buffer, gen: number): Promise<string[] | null> {
    const m = /^AT(?:([+][A-Z_]+[0-9]?|E[01]?)?(=|\?)?)?/i.exec(text);
    if (!m || !/^AT/i.test(text)) {
      this.violate(`not an AT command: ${printable(body)}`);
      throw new CommandFailure(ERR.unsupported);
    }
    const rawName = (m[1] ?? '').toUpperCase();
    const op = m[2] ?? '';
    const rest = body.subarray(m[0].length);
    if (op !== '=' && rest.length > 0) {
      this.violate(`trailing bytes after ${text.slice(0, m[0].length)}: ${printable(rest)}`);
      throw new CommandFailure(ERR.parseFailed);
    }
    const name = rawName.startsWith('+') ? rawName.slice(1) : rawName;
    const form: 'exec' | 'query' | 'set' = op === '=' ? 'set' : op === '?' ? 'query' : 'exec';
    const args = () => this.args(rest, name);

    if (MQTT_COMMANDS.has(name) && !this.traits.mqtt) throw new CommandFailure(ERR.unsupported);
    if (name.startsWith('CIPMQTT')) {
      // Tutorials invent AT+CIPMQTT*; no firmware has it (docs/models/esp8266.md "Line discipline").
      this.violate(`unknown command AT+${name} (AT+CIPMQTT* exists in no ESP-AT firmware)`);
      throw new CommandFailure(ERR.unsupported);
    }

    switch (`${name}${form === 'exec' ? '' : form === 'query' ? '?' : '='}`) {
      case '':
        return [];
      case 'E0':
      case 'E':
        this.echo = false;
        return [];
      case 'E1':
        this.echo = true;
        return [];
      case 'RST':
        this.send(`${CRLF}OK${CRLF}`);
        this.reboot(30);
        this.host.rebooted?.();
        return null;
      case 'GMR':
        return [...this.traits.gmr];
      case 'SYSLOG?':
        return [`+SYSLOG:${this.sysLog ? 1 : 0}`];
      case 'SYSLOG=': {
        const [v] = this.shaped(args(), ['int']);
        this.needRange(v, 0, 1);
        this.sysLog = v === 1;
        return [];
      }
      case 'CWMODE?':
        return [`+CWMODE:${this.cwMode}`];
      case 'CWMODE=': {
        const [mode] = this.shaped(args(), ['int', 'int?']);
        this.needRange(mode, 0, 3);
        this.cwMode = mode;
        if (mode === 0 || mode === 2) this.faultWifiLost();
        return [];
      }
      case 'CWJAP=':
        return this.cwjap(args(), gen);
      case 'CWAUTOCONN=': {
        const [v] = this.shaped(args(), ['int']);
        this.needRange(v, 0, 1);
        return [];
      }
      case 'RESTORE':
        this.send(`${CRLF}OK${CRLF}`);
        this.reboot(30);
        this.host.rebooted?.();
        return null;
      case 'CWJAP?':
        if (!this.wifi) return ['No AP'];
        return [`+CWJAP:"${this.wifi.ssid}","${AP_BSSID}",6,${this.wifi.rssi},0,1,3,0,1`];
      case 'CWQAP':
        if (this.wifi) {
          this.wifi = null;
          this.linkLost();
          return ['WIFI DISCONNECT'];
        }
        return [];
      case 'CWLAP':
        return (this.opts.wifiNetworks ?? [{ ssid: 'EmulatedAP', password: '', rssi: -55 }]).map(
          (n) => `+CWLAP:(3,"${n.ssid}",${n.rssi ?? -55},"${AP_BSSID}",6,-1,-1,4,4,7,0)`,
        );
      case 'CIPSTA?': {
        const ip = this.wifi ? '192.168.4.23' : '0.0.0.0';
        const gw = this.wifi ? '192.168.4.1' : '0.0.0.0';
        const mask = this.wifi ? '255.255.255.0' : '0.0.0.0';
        return [`+CIPSTA:ip:"${ip}"`, `+CIPSTA:gateway:"${gw}"`, `+CIPSTA:netmask:"${mask}"`];
      }
      case 'CIPSNTPCFG=': {
        const [enable, zone, ...servers] = this.shaped(args(), ['int', 'int?', 'str?', 'str?', 'str?']) as [number, number | undefined, ...(Buffer | undefined)[]];
        const names = servers.filter((s): s is Buffer => s !== undefined).map((s) => s.toString('utf8'));
        if (!this.sntp.configure(enable, zone, names, this.wifi !== null)) throw new CommandFailure(ERR.invalidParam);
        return [];
      }
      case 'CIPSNTPCFG?':
        return [this.sntp.configLine()];
      case 'CIPSNTPTIME?':
        return [this.sntp.timeLine()];
      case 'CIPSTAMAC?':
        return [`+CIPSTAMAC:"${STA_MAC}"`];
      case 'MQTTUSERCFG=':
        return this.mqttUserCfg(args());
      case 'MQTTLONGCLIENTID=':
      case 'MQTTLONGUSERNAME=':
      case 'MQTTLONGPASSWORD=':
        return this.mqttLong(name, args(), gen);
      case 'MQTTCLIENTID=':
      case 'MQTTUSERNAME=':
      case 'MQTTPASSWORD=':
        return this.mqttShortField(name, args());
      case 'MQTTCONNCFG=':
        return this.mqttConnCfg(args());
      case 'MQTTCONN=':
        return this.mqttConn(args(), gen);
      case 'MQTTCONN?':
        return [this.mqttConnLine()];
      case 'MQTTPUB=':
        return this.mqttPub(args(), gen);
      case 'MQTTPUBRAW=':
        return this.mqttPubRaw(args(), gen);
      case 'MQTTSUB=':
        return this.mqttSub(args(), gen);
      case 'MQTTSUB?':
        return [...this.subs].map(([t, q]) => `+MQTTSUB:0,${this.mqttState},"${t}",${q}`);
      case 'MQTTUNSUB=':
        return this.mqttUnsub(args(), gen);
      case 'MQTTCLEAN=': {
        const [link] = this.shaped(args(), ['int']);
        this.needLink(link);
        this.dropMqttClient();
        this.mqttState = MqttState.Uninit;
        this.mqttCfg = null;
        this.mqttTarget = null;
        this.subs.clear();
        return [];
      }
      default:
        this.violate(`unknown command ${printable(body)}`);
        throw new CommandFailure(ERR.unsupported);
    }
  }

  // ---------------------------------------------------------------- argument helpers

  private args(rest: Buffer, name: string): EspParam[] {
    const parsed = parseEspArgs(rest);
    if (parsed.problems.length > 0) {
      this.violate(`AT+${name}: ${parsed.problems.join('; ')}`);
      const bad = parsed.params.findIndex((p) => p.kind === 'bad');
      throw new CommandFailure(ERR.parseFailed, bad < 0 ? 0 : bad);
    }
    return parsed.params;
  }

  /** Check the signature and return the values (Buffers for strings, numbers for ints). */
  private shaped(params: EspParam[], shape: ParamShape[]): any[] {
    const check = checkShape(params, shape);
    if (!check.ok) {
      this.violate(`wrong parameters: ${check.problem}`);
      throw new CommandFailure(check.countMismatch ? ERR.paramCount : ERR.invalidParam);
    }
    return params.map((p) => (p.kind === 'string' || p.kind === 'int' ? p.value : undefined));
  }

  private needRange(v: number, lo: number, hi: number): void {
    if (!(v >= lo && v <= hi)) throw new CommandFailure(ERR.invalidParam);
  }

  private needLink(link: number): void {
    if (link !== 0) throw new CommandFailure(ERR.invalidParam);
  }

  // ---------------------------------------------------------------- Wi-Fi

  private async cwjap(params: EspParam[], gen: number): Promise<string[] | null> {
    const [ssidB, pwdB] = this.shaped(params, ['str', 'str', 'str?', 'int?', 'int?', 'int?', 'int?', 'int?', 'int?']) as [Buffer, Buffer];
    if (this.cwMode !== 1 && this.cwMode !== 3) throw new CommandFailure(ERR.execFailed);
    if (pwdB.length > 64 || ssidB.length === 0 || ssidB.length > 32) throw new CommandFailure(ERR.invalidParam);
    const ssid = ssidB.toString('utf8');
    const pwd = pwdB.toString('utf8');
    if (this.wifi) {
      this.wifi = null;
      this.linkLost();
      this.send(`WIFI DISCONNECT${CRLF}`);
      // esp_at_5.txt: `busy p...` after each Wi-Fi URC while the join is under way (joinBusy).
      if (this.opts.joinBusy) this.send(`busy p...${CRLF}`);
    }
    await this.pause(gen, 3);
    let code = this.nextJoinFailure;
    this.nextJoinFailure = 0;
    let rssi = -55;
    const known = this.opts.wifiNetworks;
    if (!code && known) {
      const net = known.find((n) => n.ssid === ssid);
      if (!net) code = 3;
      else if (net.password !== pwd) code = 2;
      else rssi = net.rssi ?? -55;
    }
    if (code) throw new CommandFailure(ERR.execFailed, 0, [`+CWJAP:${code}`], this.traits.cwjapFailFinal);
    this.send(`WIFI CONNECTED${CRLF}`);
    if (this.opts.joinBusy) this.send(`busy p...${CRLF}`);
    await this.pause(gen);
    this.wifi = { ssid, rssi };
    this.sntp.joined(true);
    return ['WIFI GOT IP'];
  }

  // ---------------------------------------------------------------- MQTT configuration

  private mqttUserCfg(params: EspParam[]): string[] {
    const [link, scheme, clientId, username, password, , , path] = this.shaped(params, [
      'int', 'int', 'str', 'str', 'str', 'int', 'int', 'str',
    ]) as [number, number, Buffer, Buffer, Buffer, number, number, Buffer];
    this.needLink(link);
    // ESP8266 has no TLS: scheme 1 (TCP) or 6 (WebSocket) only.
    if (scheme !== 1 && scheme !== 6) throw new CommandFailure(ERR.invalidParam);
    if (this.mqttState >= MqttState.Disconnected && this.mqtt) throw new CommandFailure(ERR.execFailed, MQTT_ERR.alreadyConnected);
    // Per-field limits depend on the generation (esp8266-firmware.ts); the line limit applies too.
    const max = this.traits.userCfgBytes;
    if (clientId.length > max.clientId) throw new CommandFailure(ERR.invalidParam, MQTT_ERR.clientIdTooLong);
    if (username.length > max.username) throw new CommandFailure(ERR.invalidParam, MQTT_ERR.usernameTooLong);
    if (password.length > max.password) throw new CommandFailure(ERR.invalidParam, MQTT_ERR.passwordTooLong);
    if (path.length > 32) throw new CommandFailure(ERR.invalidParam);
    this.mqttCfg = {
      scheme, clientId, username, password, path,
      keepalive: 120, disableClean: false, lwtTopic: Buffer.alloc(0), lwtMsg: Buffer.alloc(0), lwtQos: 0, lwtRetain: false,
    };
    this.mqttState = MqttState.UserCfg;
    return [];
  }

  private fieldOf(name: string): 'clientId' | 'username' | 'password' {
    return name.endsWith('CLIENTID') ? 'clientId' : name.endsWith('USERNAME') ? 'username' : 'password';
  }

  private async mqttLong(name: string, params: EspParam[], gen: number): Promise<null> {
    if (!this.traits.longCommands) {
      this.violate(`AT+${name} does not exist in firmware ${this.firmware}`);
      throw new CommandFailure(ERR.unsupported);
    }
    const [link, len] = this.shaped(params, ['int', 'int']) as [number, number];
    this.needLink(link);
    this.needRange(len, 1, 1024);
    if (!this.mqttCfg) throw new CommandFailure(ERR.execFailed, MQTT_ERR.notConfigured);
    const data = await this.prompt(len, gen);
    if (gen !== this.generation || !this.mqttCfg) return null;
    this.mqttCfg[this.fieldOf(name)] = data;
    this.sendFinal(`${CRLF}OK${CRLF}`);
    return null;
  }

  private mqttShortField(name: string, params: EspParam[]): string[] {
    const [link, value] = this.shaped(params, ['int', 'str']) as [number, Buffer];
    this.needLink(link);
    if (!this.mqttCfg) throw new CommandFailure(ERR.execFailed, MQTT_ERR.notConfigured);
    // The manual names no field limit here, only the line's (< 256 bytes, checked for every line).
    this.mqttCfg[this.fieldOf(name)] = value;
    return [];
  }

  private mqttConnCfg(params: EspParam[]): string[] {
    const [link, keepalive, disableClean, lwtTopic, lwtMsg, lwtQos, lwtRetain] = this.shaped(params, [
      'int', 'int', 'int', 'str', 'str', 'int', 'int',
    ]) as [number, number, number, Buffer, Buffer, number, number];
    this.needLink(link);
    this.needRange(keepalive, 0, 7200);
    this.needRange(disableClean, 0, 1);
    this.needRange(lwtQos, 0, 2);
    this.needRange(lwtRetain, 0, 1);
    if (!this.mqttCfg) throw new CommandFailure(ERR.execFailed, MQTT_ERR.notConfigured);
    Object.assign(this.mqttCfg, {
      keepalive: keepalive === 0 ? 120 : keepalive, // ESP-AT turns 0 into 120 (manual, AT+MQTTCONNCFG)
      disableClean: disableClean === 1,
      lwtTopic, lwtMsg, lwtQos, lwtRetain: lwtRetain === 1,
    });
    if (this.mqttState < MqttState.ConnCfg) this.mqttState = MqttState.ConnCfg;
    return [];
  }

  private mqttConnLine(): string {
    const t = this.mqttTarget;
    const scheme = this.mqttCfg?.scheme ?? 0;
    const path = this.mqttCfg?.path.toString('latin1') ?? '';
    if (!t) return `+MQTTCONN:0,${this.mqttState},${scheme},"","","${path}",0`;
    return `+MQTTCONN:0,${this.mqttState},${scheme},"${t.host}","${t.port}","${path}",${t.reconnect}`;
  }

  // ---------------------------------------------------------------- MQTT link

  private async mqttConn(params: EspParam[], gen: number): Promise<string[]> {
    const [link, hostB, port, reconnect] = this.shaped(params, ['int', 'str', 'int', 'int']) as [number, Buffer, number, number];
    this.needLink(link);
    this.needRange(port, 1, 65535);
    this.needRange(reconnect, 0, 1);
    if (hostB.length === 0 || hostB.length > HOST_LIMIT) throw new CommandFailure(ERR.invalidParam);
    const cfg = this.mqttCfg;
    if (!cfg) throw new CommandFailure(ERR.execFailed, MQTT_ERR.notConfigured);
    if (this.mqtt && this.mqttState >= MqttState.Connected) throw new CommandFailure(ERR.execFailed, MQTT_ERR.alreadyConnected);
    const host = hostB.toString('latin1');
    const failed = () => {
      // After a failed connect the firmware forgets the target (capture esp_at_4.txt: +MQTTCONN:0,2,1,"","","",0).
      this.mqttTarget = null;
      this.mqttState = MqttState.ConnCfg;
      return new CommandFailure(ERR.execFailed, MQTT_ERR.disconnected, ['+MQTTDISCONNECTED:0']);
    };
    if (!this.wifi) {
      await this.pause(gen, 5);
      throw failed();
    }
    const refuse = this.nextConnackRefusal > 0;
    this.nextConnackRefusal = 0;
    const client = await this.openMqtt(cfg, host, port, refuse);
    if (gen !== this.generation) {
      client?.end(true);
      return [];
    }
    if (!client) throw failed();
    this.mqtt = client;
    this.mqttTarget = { host, port, reconnect };
    this.mqttState = MqttState.Connected;
    this.subs.clear();
    this.watchMqtt(client, gen);
    // +MQTTCONNECTED comes before the OK; real firmware quotes the port.
    return [`+MQTTCONNECTED:0,${cfg.scheme},"${host}","${port}","${cfg.path.toString('latin1')}",${reconnect}`];
  }

  /** Connect MQTT.js; resolves null on any failure (refused CONNACK, socket error, timeout). */
  private openMqtt(cfg: MqttConfig, host: string, port: number, refuse: boolean): Promise<MqttClient | null> {
    const target = this.opts.resolveBroker ? this.opts.resolveBroker(host, port) : { host, port };
    const options: IClientOptions = {
      host: target.host,
      port: target.port,
      protocol: cfg.scheme === 6 ? 'ws' : 'mqtt',
      protocolVersion: 4,
      clientId: cfg.clientId.toString('utf8'),
      keepalive: cfg.keepalive,
      clean: !cfg.disableClean,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      // A refusal fault sends a password the broker cannot accept, so the CONNACK really is non-zero
      // whatever broker is behind it.
      ...(cfg.username.length > 0 ? { username: cfg.username.toString('utf8') } : {}),
      ...(refuse ? { password: Buffer.from('\u0000refused-by-fault') } : cfg.password.length > 0 ? { password: cfg.password } : {}),
    };
    if (cfg.lwtTopic.length > 0) {
      options.will = { topic: cfg.lwtTopic.toString('utf8'), payload: cfg.lwtMsg, qos: cfg.lwtQos as 0 | 1 | 2, retain: cfg.lwtRetain };
    }
    return new Promise((resolve) => {
      const client = connect(options);
      let settled = false;
      const settle = (ok: boolean, why?: string) => {
        if (settled) return;
        settled = true;
        client.removeListener('connect', onConnect);
        if (ok) {
          resolve(client);
        } else {
          this.host.log?.(`esp8266: MQTT connect to ${target.host}:${target.port} failed: ${why}`);
          client.removeAllListeners();
          client.on('error', () => undefined);
          client.end(true);
          resolve(null);
        }
      };
      const onConnect = () => (refuse ? settle(false, 'refusal fault') : settle(true));
      client.on('connect', onConnect);
      client.on('error', (err) => settle(false, err.message));
      client.on('close', () => settle(false, 'closed before CONNACK'));
    });
  }

  private watchMqtt(client: MqttClient, gen: number): void {
    client.on('error', (err) => this.host.log?.(`esp8266: MQTT error: ${err.message}`));
    client.on('close', () => {
      if (gen !== this.generation || this.mqtt !== client) return;
      this.linkLost();
    });
    client.on('message', (topic, payload, packet) => {
      if (gen !== this.generation || this.mqtt !== client) return;
      const t = Buffer.from(topic, 'utf8');
      const urcs = subRecvFragments(t, payload, packet.qos, this.bufferBytes).map((part) => subRecvUrc(0, t, part));
      // The module prints downlinks in the order they arrived, each after its own latency.
      this.downlinks = this.downlinks
        .then(() => this.pause(gen))
        .then(() => {
          for (const u of urcs) this.send(u);
        });
    });
  }

  /**
   * The broker link is gone: URC, state 3. With reconnect=1 the firmware retries on its own with
   * the OLD credentials (which is why drivers use 0, docs/models/esp8266.md) and announces success with
   * an unsolicited +MQTTCONNECTED.
   */
  private linkLost(): void {
    if (!this.mqtt) return;
    this.dropMqttClient();
    this.mqttState = MqttState.Disconnected;
    this.subs.clear();
    if (this.raw && this.executingPubRaw) {
      // During AT+MQTTPUBRAW data entry the URC has no line end: `+MQTTPUB:FAIL` follows it
      // straight after the data (docs/models/esp8266.md "Glued URC").
      this.pubRawDrop = true;
      this.send('+MQTTDISCONNECTED:0');
    } else {
      this.send(`+MQTTDISCONNECTED:0${CRLF}`);
    }
    if (this.mqttTarget?.reconnect === 1) this.scheduleAutoReconnect(this.generation);
  }

  private scheduleAutoReconnect(gen: number): void {
    this.after(AUTO_RECONNECT_MS, () => {
      const cfg = this.mqttCfg;
      const target = this.mqttTarget;
      if (gen !== this.generation || !cfg || !target || this.mqtt || !this.wifi) return;
      void this.openMqtt(cfg, target.host, target.port, false).then((client) => {
        if (!client) {
          if (gen === this.generation && this.mqttTarget === target) this.scheduleAutoReconnect(gen);
          return;
        }
        if (gen !== this.generation || this.mqttTarget !== target || this.mqtt) {
          client.end(true);
          return;
        }
        this.mqtt = client;
        this.mqttState = MqttState.Connected;
        this.watchMqtt(client, gen);
        this.send(`+MQTTCONNECTED:0,${cfg.scheme},"${target.host}","${target.port}","${cfg.path.toString('latin1')}",1${CRLF}`);
      });
    });
  }

  private dropMqttClient(): void {
    const c = this.mqtt;
    this.mqtt = null;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      c.end(true);
    }
  }

  private connectedClient(): MqttClient {
    if (!this.mqtt || this.mqttState < MqttState.Connected) {
      throw new CommandFailure(ERR.execFailed, this.mqttCfg ? MQTT_ERR.disconnected : MQTT_ERR.notConfigured);
    }
    return this.mqtt;
  }

  private checkTopic(topic: Buffer): void {
    if (topic.length === 0 || topic.length > this.traits.topicBytes) throw new CommandFailure(ERR.invalidParam, MQTT_ERR.topicTooLong);
  }

  private publish(client: MqttClient, topic: Buffer, data: Buffer, qos: number, retain: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      client.publish(topic.toString('utf8'), data, { qos: qos as 0 | 1 | 2, retain }, (err) => resolve(!err));
    });
  }

  private async mqttPub(params: EspParam[], gen: number): Promise<string[]> {
    const [link, topic, data, qos, retain] = this.shaped(params, ['int', 'str', 'str', 'int', 'int']) as [number, Buffer, Buffer, number, number];
    this.needLink(link);
    this.needRange(qos, 0, 2);
    this.needRange(retain, 0, 1);
    this.checkTopic(topic);
    if (data.includes(0)) throw new CommandFailure(ERR.invalidParam); // documented: no \0 in MQTTPUB data
    const client = this.connectedClient();
    // QoS 1: the OK waits for the PUBACK (not documented either way: an emulator choice).
    const ok = await this.publish(client, topic, data, qos, retain === 1);
    if (gen !== this.generation) return [];
    if (!ok) throw new CommandFailure(ERR.execFailed, MQTT_ERR.disconnected);
    return [];
  }

  private async mqttPubRaw(params: EspParam[], gen: number): Promise<null> {
    const [link, topic, len, qos, retain] = this.shaped(params, ['int', 'str', 'int', 'int', 'int']) as [number, Buffer, number, number, number];
    this.needLink(link);
    this.needRange(qos, 0, 2);
    this.needRange(retain, 0, 1);
    this.checkTopic(topic);
    this.needRange(len, 1, 1 << 20);
    const client = this.connectedClient();
    this.executingPubRaw = true;
    // The size is not checked before the prompt: an oversized message is taken in full and then
    // fails, because esp-mqtt cannot build the packet in its buffer (docs/models/esp8266.md).
    // The drop fault strikes when the first data byte arrives (input()).
    this.dropLinkOnData = this.dropLinkInNextPubRaw;
    this.dropLinkInNextPubRaw = false;
    const data = await this.prompt(len, gen);
    this.executingPubRaw = false;
    if (gen !== this.generation) return null;
    const fits = fitsPublishBuffer(topic.length, len, qos, this.bufferBytes);
    if (!fits) this.host.log?.(`esp8266: AT+MQTTPUBRAW of ${len} bytes does not fit the ${this.bufferBytes}-byte MQTT buffer`);
    const ok = fits && this.mqtt === client && (await this.publish(client, topic, data, qos, retain === 1));
    if (gen !== this.generation) return null;
    if (this.pubRawDrop) {
      this.pubRawDrop = false;
      this.sendFinal(`+MQTTPUB:FAIL${CRLF}`);
      return null;
    }
    await this.pause(gen);
    if (gen !== this.generation) return null;
    this.sendFinal(`${CRLF}+MQTTPUB:${ok ? 'OK' : 'FAIL'}${CRLF}`);
    return null;
  }

  private async mqttSub(params: EspParam[], gen: number): Promise<string[]> {
    const [link, topic, qos] = this.shaped(params, ['int', 'str', 'int']) as [number, Buffer, number];
    this.needLink(link);
    this.needRange(qos, 0, 2);
    this.checkTopic(topic);
    const client = this.connectedClient();
    const t = topic.toString('utf8');
    if (this.subs.has(t)) {
      // 2.2.0.0 prints this on its log UART (GPIO2), so the AT port shows the OK alone.
      if (this.traits.alreadySubscribeOnLogUart) {
        this.host.log?.('esp8266 log UART: ALREADY SUBSCRIBE');
        return [];
      }
      return ['ALREADY SUBSCRIBE'];
    }
    if (this.subs.size >= MAX_SUBSCRIPTIONS) throw new CommandFailure(ERR.execFailed);
    const granted = await new Promise<number | null>((resolve) => {
      client.subscribe(t, { qos: qos as 0 | 1 | 2 }, (err, grants) => resolve(err || !grants?.[0] ? null : grants[0].qos));
    });
    if (gen !== this.generation) return [];
    if (granted === null || granted === 128) throw new CommandFailure(ERR.execFailed);
    this.subs.set(t, qos);
    this.mqttState = MqttState.Subscribed;
    return [];
  }

  private async mqttUnsub(params: EspParam[], gen: number): Promise<string[]> {
    const [link, topic] = this.shaped(params, ['int', 'str']) as [number, Buffer];
    this.needLink(link);
    const client = this.connectedClient();
    const t = topic.toString('utf8');
    if (!this.subs.has(t)) return ['NO UNSUBSCRIBE'];
    await new Promise<void>((resolve) => client.unsubscribe(t, () => resolve()));
    if (gen !== this.generation) return [];
    this.subs.delete(t);
    if (this.subs.size === 0) this.mqttState = MqttState.Connected;
    return [];
  }

  // ---------------------------------------------------------------- output and timing

  /**
   * `OK`, a blank line, then `>` (no newline): `\r\nOK\r\n\r\n>` as the MQTT AT examples of the
   * manual show; then exactly len raw bytes, never escaped or echoed.
   */
  private prompt(len: number, gen: number): Promise<Buffer> {
    return new Promise((resolve) => {
      this.raw = { remaining: len, chunks: [], resolve };
      if (gen === this.generation) this.send(`${CRLF}OK${CRLF}${CRLF}>`);
    });
  }

  /**
   * The command's last output: the modem is idle again before the host can see it, so a host
   * that answers instantly (in-process, unpaced) is never told `busy p...`.
   */
  private sendFinal(text: string): void {
    this.executing = false;
    this.send(text);
  }

  private send(bytes: Buffer | string): void {
    if (this.closed) return;
    this.host.send(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1'));
  }

  private violate(text: string): void {
    if (this.opts.strict) this.host.violation(text);
  }

  private latency(factor = 1): number {
    const [lo, hi] = this.opts.latencyMs ?? [5, 25];
    return (lo + Math.random() * (hi - lo)) * factor + this.commandFaults.delayMs;
  }

  /** Wait a realistic moment before answering (cancelled by reboot/close: the promise never settles). */
  private pause(gen: number, factor = 1): Promise<void> {
    return new Promise((resolve) => {
      this.after(this.latency(factor), () => {
        if (gen === this.generation) resolve();
      });
    });
  }

  private afterLatency(gen: number, fn: () => void): void {
    this.after(this.latency(), () => {
      if (gen === this.generation) fn();
    });
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** A line as text for violation messages, control bytes made visible. */
function printable(b: Buffer): string {
  return b.toString('latin1').replace(/[\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
