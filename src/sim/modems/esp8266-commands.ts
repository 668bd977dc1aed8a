/**
 * What the ESP-AT command modules (esp8266-engine.ts, -system, -wifi, -mqtt, -mqtt-pubsub) share:
 * the command table's types, the failure a handler throws, the ERR CODE values and what a
 * handler may use of the engine.
 */
import { checkShape, parseEspArgs, type ParamShape } from './esp8266-args';
import type { EspEngineOptions } from './esp8266-engine';
import type { EspFirmware, EspFirmwareTraits } from './esp8266-firmware';

export const CRLF = '\r\n';

/** ERR CODE categories (the xx of 0x01xxyyyy). */
export const ERR = {
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
export const MQTT_ERR = {
  notConfigured: 0x6001,
  alreadyConnected: 0x6004,
  clientIdTooLong: 0x6016,
  usernameTooLong: 0x6019,
  passwordTooLong: 0x601c,
  topicTooLong: 0x6043,
  dataReadFailed: 0x6044,
  disconnected: 0x6051,
} as const;

/** Thrown by a handler: `ERR CODE` (with AT+SYSLOG=1), its lines, then the final. */
export class CommandFailure extends Error {
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

/**
 * Information lines to print before `OK`, or null when the handler printed its own final
 * (a `>` prompt command, a restart).
 */
export type EspReply = string[] | null;

/** One command line as a handler sees it. */
export interface EspCall {
  /** The engine's generation when the command started: a reboot since then silences the handler. */
  readonly gen: number;
  /**
   * The parameters after `=` checked against the signature: Buffers for strings, numbers for
   * ints. Throws ERR 0x06 or 0x07 for the wrong signature.
   */
  values(shape: ParamShape[]): any[];
}

type Handler = (call: EspCall) => EspReply | Promise<EspReply>;

/**
 * A command of the table, by the form it is sent in: `AT+X` (exec), `AT+X?` (query), `AT+X=...`
 * (set). ESP-AT's test form `AT+X=?` is not told apart: the firmware parses `?` as a parameter
 * list, so it arrives at `set` and fails there as a malformed parameter.
 */
export interface EspCommandSpec {
  exec?: Handler;
  query?: Handler;
  set?: Handler;
}

export type EspCommandTable = Map<string, EspCommandSpec>;

/** What the command modules use of the engine. */
export interface EspDialect {
  readonly opts: EspEngineOptions;
  readonly firmware: EspFirmware;
  readonly traits: EspFirmwareTraits;
  /** Bumped on reboot and close: async work from before it must not speak afterwards. */
  readonly generation: number;
  /** A `>` prompt's raw data is being read. */
  readonly readingData: boolean;
  send(bytes: Buffer | string): void;
  /** The command's last output: the module takes commands again. */
  sendFinal(text: string): void;
  /** A strict-mode finding. */
  violate(text: string): void;
  log(text: string): void;
  /** ATE0 / ATE1. */
  setEcho(on: boolean): void;
  /** AT+RST and AT+RESTORE: `OK`, then a reboot. */
  restart(): void;
  /** Resolves after a realistic answer latency (times `factor`), unless the modem rebooted meanwhile. */
  pause(gen: number, factor?: number): Promise<void>;
  /** fn after a realistic latency, unless the modem rebooted meanwhile. */
  afterLatency(gen: number, fn: () => void): void;
  /** fn after ms, cancelled by reboot and close. */
  after(ms: number, fn: () => void): void;
  /**
   * `OK`, then the `>` prompt; resolves with exactly len raw bytes. `onData` runs when the first
   * of them arrive (a fault that strikes during data entry).
   */
  prompt(len: number, gen: number, onData?: () => void): Promise<Buffer>;
}

export function needRange(v: number, lo: number, hi: number): void {
  if (!(v >= lo && v <= hi)) throw new CommandFailure(ERR.invalidParam);
}

/** ESP8266 ESP-AT has one MQTT client: link id 0. */
export function needLink(link: number): void {
  if (link !== 0) throw new CommandFailure(ERR.invalidParam);
}

/**
 * The call of command `name` whose parameter list (the bytes after `=`) is `rest`. The list is
 * parsed here, before the handler runs: a malformed list fails first, whatever the command.
 */
export function espCall(gen: number, name: string, rest: Buffer, violate: (text: string) => void): EspCall {
  const parsed = parseEspArgs(rest);
  if (parsed.problems.length > 0) {
    violate(`AT+${name}: ${parsed.problems.join('; ')}`);
    const bad = parsed.params.findIndex((p) => p.kind === 'bad');
    throw new CommandFailure(ERR.parseFailed, bad < 0 ? 0 : bad);
  }
  const params = parsed.params;
  return {
    gen,
    values: (shape) => {
      const check = checkShape(params, shape);
      if (!check.ok) {
        violate(`wrong parameters: ${check.problem}`);
        throw new CommandFailure(check.countMismatch ? ERR.paramCount : ERR.invalidParam);
      }
      return params.map((p) => (p.kind === 'string' || p.kind === 'int' ? p.value : undefined));
    },
  };
}
