/**
 * The ESP8266 / ESP-AT dialect, modem side: boot, one command at a time through a command table,
 * results and error codes, and the faults. The commands live by job in esp8266-system.ts,
 * esp8266-wifi.ts, esp8266-mqtt.ts and esp8266-mqtt-pubsub.ts; host bytes become lines in
 * esp8266-line-reader.ts. It follows Espressif's manual, release files and real captures
 * (docs/models/esp8266.md names the source of each behaviour), not any driver's expectations,
 * and shares nothing with src/at or src/modems.
 *
 * It knows nothing about streams or pacing: bytes come in through `input()`, and go out through
 * the `send` callback of its host (the emulator core paces them and records the transcript).
 */
import { romLogAt115200 } from './esp8266-boot-log';
import { CommandFailure, CRLF, ERR, espCall, type EspCommandTable, type EspDialect, type EspReply } from './esp8266-commands';
import { DEFAULT_ESP_FIRMWARE, espFirmwareTraits, type EspFirmware, type EspFirmwareTraits } from './esp8266-firmware';
import { EspLineReader } from './esp8266-line-reader';
import { EspMqtt, MQTT_COMMANDS } from './esp8266-mqtt';
import { EspSystem } from './esp8266-system';
import { EspWifi } from './esp8266-wifi';
import { CommandFaultCounters } from './emulator-base';
import type { ModemEmulatorOptions } from './types';

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

const LINE_LIMIT = 256; // a command line, terminator included, must stay under this

/** How long the ROM and the second-stage bootloader take before the application starts. */
const ROM_LOG_MS = 30;

export class Esp8266Engine {
  readonly firmware: EspFirmware;
  private readonly traits: EspFirmwareTraits;
  private readonly opts: EspEngineOptions;
  /** busy, ERROR on the Nth command, extra latency: the emulator core's counters when it hosts the engine. */
  private readonly commandFaults: CommandFaultCounters;
  /** Command name (without `AT+`; `E0` for ATE0) -> handlers by form. */
  private readonly commands: EspCommandTable = new Map();
  private readonly reader = new EspLineReader({
    line: (body, crlf) => this.onLine(body, crlf),
    echo: (bytes) => this.send(bytes),
  });
  private readonly system: EspSystem;
  private readonly wifi: EspWifi;
  private readonly mqtt: EspMqtt;

  /** A command runs: lines that arrive meanwhile are refused. */
  private executing = false;
  /** Bumped on reboot and close: async work from before it must not speak afterwards. */
  private generation = 0;
  /** A real ESP8266 is deaf until it prints `ready`: bytes sent while it boots are lost. */
  private booting = false;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly host: EspEngineHost,
    opts: EspEngineOptions = {},
  ) {
    this.opts = opts;
    this.firmware = opts.firmware ?? DEFAULT_ESP_FIRMWARE;
    this.traits = espFirmwareTraits(this.firmware);
    this.commandFaults = host.commandFaults ?? new CommandFaultCounters();
    const dialect = this.dialect();
    this.system = new EspSystem(dialect);
    this.mqtt = new EspMqtt(dialect, () => this.wifi.up);
    this.wifi = new EspWifi(dialect, () => this.mqtt.linkLost());
    this.system.register(this.commands);
    this.wifi.register(this.commands);
    this.mqtt.register(this.commands);
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
        this.wifi.autoJoin(gen);
      });
    });
  }

  /** Reboot: every setting and the MQTT link are lost; the boot output follows. */
  reboot(bootDelayMs = 20): void {
    this.reset();
    this.powerOn(bootDelayMs, 2);
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
    this.reader.reset();
    this.executing = false;
    this.system.reset();
    this.wifi.reset();
    this.mqtt.reset();
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
    this.wifi.failNextJoin(code);
  }
  /** The broker refuses the next MQTTCONN (the emulator closes the socket as a CONNACK refusal would). */
  faultConnectRefused(): void {
    this.mqtt.faultConnectRefused();
  }
  /** Wi-Fi drops: `WIFI DISCONNECT`, and the MQTT link with it. */
  faultWifiLost(): void {
    this.wifi.lost();
  }
  /** The broker link is lost: `+MQTTDISCONNECTED:0`. */
  faultDropLink(): void {
    this.mqtt.linkLost();
  }
  /** The broker link is lost while the next AT+MQTTPUBRAW's data is being entered. */
  faultDropLinkDuringPublish(): void {
    this.mqtt.faultDropLinkDuringPublish();
  }

  // ---------------------------------------------------------------- input

  input(chunk: Buffer): void {
    if (this.closed || this.booting) return;
    this.reader.feed(chunk);
  }

  /** A line, already echoed (esp8266-line-reader.ts). */
  private onLine(body: Buffer, crlf: boolean): void {
    if (!crlf) this.violate(`line not terminated by CR LF: ${printable(body)}`);
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
      if (this.system.sysLog) out += `ERR CODE:0x01${hex(err.category, 2)}${hex(err.code, 4)}${CRLF}`;
      out += `${CRLF}${err.final}${CRLF}`;
      this.sendFinal(out);
    }
  }

  // ---------------------------------------------------------------- commands

  /** Run one command through the table. */
  private async dispatch(text: string, body: Buffer, gen: number): Promise<EspReply> {
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
    if (MQTT_COMMANDS.has(name) && !this.traits.mqtt) throw new CommandFailure(ERR.unsupported);
    if (name.startsWith('CIPMQTT')) {
      // Tutorials invent AT+CIPMQTT*; no firmware has it (docs/models/esp8266.md "Line discipline").
      this.violate(`unknown command AT+${name} (AT+CIPMQTT* exists in no ESP-AT firmware)`);
      throw new CommandFailure(ERR.unsupported);
    }
    const spec = this.commands.get(name);
    const handler = op === '=' ? spec?.set : op === '?' ? spec?.query : spec?.exec;
    if (!handler) {
      this.violate(`unknown command ${printable(body)}`);
      throw new CommandFailure(ERR.unsupported);
    }
    return handler(espCall(gen, name, rest, (t) => this.violate(t)));
  }

  /** What the command modules (esp8266-system.ts, -wifi, -mqtt, -mqtt-pubsub) may use of the engine. */
  private dialect(): EspDialect {
    const engine = this;
    return {
      opts: this.opts,
      firmware: this.firmware,
      traits: this.traits,
      get generation() {
        return engine.generation;
      },
      get readingData() {
        return engine.reader.readingData;
      },
      send: (bytes) => this.send(bytes),
      sendFinal: (text) => this.sendFinal(text),
      violate: (text) => this.violate(text),
      log: (text) => this.host.log?.(text),
      setEcho: (on) => {
        this.reader.echo = on;
      },
      restart: () => {
        this.send(`${CRLF}OK${CRLF}`);
        this.reboot(30);
        this.host.rebooted?.();
      },
      pause: (gen, factor) => this.pause(gen, factor),
      afterLatency: (gen, fn) => this.afterLatency(gen, fn),
      after: (ms, fn) => this.after(ms, fn),
      prompt: (len, gen, onData) => this.prompt(len, gen, onData),
    };
  }

  // ---------------------------------------------------------------- output and timing

  /**
   * `OK`, a blank line, then `>` (no newline): `\r\nOK\r\n\r\n>` as the MQTT AT examples of the
   * manual show; then exactly len raw bytes, never escaped or echoed.
   */
  private prompt(len: number, gen: number, onData?: () => void): Promise<Buffer> {
    const data = this.reader.expectData(len, onData);
    if (gen === this.generation) this.send(`${CRLF}OK${CRLF}${CRLF}>`);
    return data;
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
