/**
 * The Quectel AT dialect shared by the EC20 and BC26 emulators: line discipline (CR terminator,
 * echo, `\r\n> ` prompt), V.250 basics, SIM/registration queries, CME errors and dispatch. The
 * QMT* MQTT commands live in quectel-mqtt.ts; model differences are QuectelTraits plus the
 * boot/reboot hooks and extra commands of ec20.ts / bc26.ts.
 *
 * Follows the vendor manuals and captures named in docs/models/ec20.md and docs/models/bc26.md,
 * not any driver.
 */
import { CommandReader, type DataRequest, type DataResult } from './command-reader';
import { ModemEmulatorBase } from './emulator-base';
import { checkArgShape, parseQuectelCommand, type ArgShape, type CommandForm, type QuectelArg } from './quectel-args';
import { QuectelNetworkClock } from './quectel-clock';
import { QuectelMqtt } from './quectel-mqtt';
import type { QuectelTraits } from './quectel-traits';
import type { ModemEmulatorOptions, ModemFaults } from './types';

export type Final = 'OK' | 'ERROR' | { cme: number };

/** What a command produces: response lines plus a final, or a `>` prompt awaiting data. */
export type Answer =
  | { kind: 'final'; lines?: Buffer[]; final: Final; then?: () => void }
  /** `prompt`: the line the module prints before it takes the data (default the `>` prompt; AT+QFUPL prints `CONNECT`). */
  | { kind: 'prompt'; request: DataRequest; onData: (result: DataResult) => Answer; prompt?: string };

export interface CommandSpec {
  exec?: () => Answer;
  read?: () => Answer;
  test?: () => Answer;
  /** `shape` is checked first; a mismatch is a strict violation and answers ERROR. */
  set?: { shape: ArgShape; run: (args: QuectelArg[]) => Answer };
}

export interface QuectelFaults extends ModemFaults {
  /** The SIM is removed (true) or inserted again. */
  simAbsent(absent: boolean): void;
  /**
   * Registration stat (1 home, 5 roaming, 2 searching, 3 denied) of one registration type, or of
   * every type the SIM can register on (a data-only SIM keeps `+CREG` at 3).
   */
  registration(stat: 0 | 1 | 2 | 3 | 4 | 5, type?: RegistrationType): void;
  /** Signal quality reported by AT+CSQ (99 = unknown). */
  signal(rssi: number): void;
  /** The next QMTOPEN answers `+QMTOPEN: <idx>,<result>` without connecting (-1, 1-5). */
  openResult(result: number): void;
  /** The next QMTCONN answers `+QMTCONN: <idx>,<result>[,<retCode>]` without a CONNECT. */
  connResult(result: number, retCode?: number): void;
  /** The next QMTSUB is refused: granted QoS 128. */
  refuseSubscribe(): void;
  /** The broker link of a client is lost with a given +QMTSTAT code (default 1). */
  linkStatus(clientIndex: number, code: number): void;
  /** After AT+QPOWD the modem stays off until this is called (power applied again). */
  powerOn(): void;
}

/** The three registration queries: circuit-switched (CREG) and packet-switched (CGREG 2G/3G, CEREG LTE/NB-IoT). */
export type RegistrationType = '+CREG' | '+CGREG' | '+CEREG';
const REGISTRATION_TYPES: RegistrationType[] = ['+CREG', '+CGREG', '+CEREG'];

const CME_TEXT: Record<number, string> = {
  3: 'operation not allowed',
  4: 'operation not supported',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  13: 'SIM failure',
  14: 'SIM busy',
  30: 'no network service',
  50: 'incorrect parameters',
  100: 'unknown',
};

export const ok = (...lines: (Buffer | string)[]): Answer => ({ kind: 'final', lines: lines.map(toBytes), final: 'OK' });
export const error = (): Answer => ({ kind: 'final', final: 'ERROR' });
export const cme = (code: number): Answer => ({ kind: 'final', final: { cme: code } });

function toBytes(line: Buffer | string): Buffer {
  return typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
}

export abstract class QuectelEmulator extends ModemEmulatorBase<QuectelFaults> {
  protected readonly reader = new CommandReader('cr', {
    line: (text) => this.onLine(text),
    echo: (bytes) => this.send(bytes),
    data: (result) => this.onData(result),
  });
  protected readonly commands = new Map<string, CommandSpec>();
  protected readonly mqtt: QuectelMqtt;
  protected readonly networkClock: QuectelNetworkClock;

  /** Bumped on reboot: async work from before it must not speak afterwards. */
  protected generation = 0;
  /** Booting or powered down: input is lost. */
  protected deaf = true;
  protected cmee = 1;
  protected cfun = 1;
  protected simPresent: boolean;
  /**
   * One stat per registration type. A data-only IoT SIM is refused circuit-switched service:
   * `+CREG: 0,3` while `+CGREG`/`+CEREG` say 1 or 5 (docs/models/ec20.md, "Registration").
   */
  protected regStat: Record<RegistrationType, number>;
  protected readonly dataOnlySim: boolean;
  protected rssi: number;
  private regUrcMode: Record<RegistrationType, number> = { '+CREG': 0, '+CGREG': 0, '+CEREG': 0 };
  private pendingData: ((result: DataResult) => Answer) | null = null;

  protected constructor(
    readonly traits: QuectelTraits,
    options: ModemEmulatorOptions,
  ) {
    super(traits.model, options);
    this.simPresent = options.simPresent ?? true;
    this.dataOnlySim = options.sim === 'data-only';
    this.regStat = this.initialRegistration(options.registration ?? 1);
    this.rssi = options.csq ?? 24;
    this.mqtt = new QuectelMqtt(this, traits, options);
    this.networkClock = new QuectelNetworkClock(options);
    this.registerBasics();
    this.mqtt.register(this.commands);
  }

  // ------------------------------------------------------------------ hooks for QuectelMqtt

  /** An unsolicited line (`\r\n<line>\r\n`), sent only if `generation` is still `gen`. */
  urc(line: Buffer | string, gen = this.generation): void {
    if (gen !== this.generation || this.deaf) return;
    if (!this.urcsReachHost()) {
      this.log(`URC sent to another interface than the host's: ${toBytes(line).toString('latin1')}`);
      return;
    }
    this.send(Buffer.concat([Buffer.from('\r\n'), toBytes(line), Buffer.from('\r\n')]));
  }

  /** Run fn after a random result-URC latency, unless the modem rebooted meanwhile. */
  later(fn: () => void, ms = this.urcLatency()): void {
    const gen = this.generation;
    this.schedule(ms, () => {
      if (gen === this.generation) fn();
    });
  }

  get currentGeneration(): number {
    return this.generation;
  }

  private initialRegistration(stat: number): Record<RegistrationType, number> {
    return { '+CREG': this.dataOnlySim ? 3 : stat, '+CGREG': stat, '+CEREG': stat };
  }

  /** True when the network allows a data connection (SIM, packet-switched registration, signal). */
  get networkReady(): boolean {
    const ps = [this.regStat['+CGREG'], this.regStat['+CEREG']];
    return this.simPresent && this.cfun === 1 && ps.some((s) => s === 1 || s === 5) && this.rssi !== 99;
  }

  /** Model hook: URCs go to the interface the host is on (EC20: its URC port setting). */
  protected urcsReachHost(): boolean {
    return true;
  }

  /** Model hook: is the PDP context for cid usable? */
  abstract pdpReady(cid: number): boolean;
  /** Model hook: a downlink may be delivered now (BC26 drops them while asleep). */
  canReceiveDownlink(): boolean {
    return true;
  }
  strictViolation(text: string): void {
    this.violation(text);
  }
  emitLog(text: string): void {
    this.log(text);
  }

  // ------------------------------------------------------------------ base hooks

  protected override receive(chunk: Buffer): void {
    if (this.deaf) return;
    this.reader.feed(chunk);
  }

  protected override resetState(): void {
    this.generation++;
    this.deaf = true;
    this.reader.reset();
    this.pendingData = null;
    this.cmee = 1;
    this.cfun = 1;
    this.regUrcMode = { '+CREG': 0, '+CGREG': 0, '+CEREG': 0 };
    this.mqtt.reset();
    this.resetModelState();
    this.networkClock.powerOn();
  }

  protected abstract resetModelState(): void;

  protected override dropLink(clientIndex = 0): void {
    this.mqtt.breakLink(clientIndex, 1);
  }

  protected override async shutdown(): Promise<void> {
    this.mqtt.reset();
  }

  protected override extraFaults(): Partial<QuectelFaults> {
    return {
      simAbsent: (absent) => {
        this.simPresent = !absent;
        if (absent) this.urc('+CPIN: NOT READY');
      },
      registration: (stat, type) => {
        const types = type ? [type] : REGISTRATION_TYPES.filter((t) => !(this.dataOnlySim && t === '+CREG'));
        for (const t of types) {
          this.regStat[t] = stat;
          if (this.regUrcMode[t] > 0) this.urc(`${t}: ${stat}`);
        }
      },
      signal: (rssi) => {
        this.rssi = rssi;
      },
      openResult: (result) => this.mqtt.injectOpenResult(result),
      connResult: (result, retCode) => this.mqtt.injectConnResult(result, retCode),
      refuseSubscribe: () => this.mqtt.injectSubscribeRefusal(),
      linkStatus: (idx, code) => this.mqtt.breakLink(idx, code),
      powerOn: () => {
        if (this.deaf && !this.isClosed) this.reboot();
      },
    };
  }

  /** Reboot triggered by an AT command: the answer already queued still goes out first. */
  protected rebootAfter(ms: number, beforeBoot?: () => void): void {
    this.later(() => {
      beforeBoot?.();
      this.deaf = true;
      this.later(() => this.reboot(), this.options.bootDelayMs);
    }, ms);
  }

  /** Power down by an AT command: silence until faults.powerOn(). */
  protected powerDownAfter(ms: number, beforeOff?: () => void): void {
    this.later(() => {
      beforeOff?.();
      this.generation++;
      this.mqtt.reset();
      this.deaf = true;
      this.reader.reset();
    }, ms);
  }

  // ------------------------------------------------------------------ line discipline

  private onLine(text: string): void {
    const fault = this.takeCommandFault();
    let answer: Answer;
    if (fault === 'busy') answer = cme(14);
    else if (fault === 'error') answer = error();
    else answer = this.execute(text);
    const gen = this.generation;
    const deliver = (): void => {
      if (gen === this.generation) this.deliver(answer);
    };
    if (this.answerDelayMs > 0) this.schedule(this.answerDelayMs, deliver);
    else deliver();
  }

  private onData(result: DataResult): void {
    const handler = this.pendingData;
    this.pendingData = null;
    if (!handler) {
      this.reader.resume();
      return;
    }
    this.deliver(handler(result));
  }

  private deliver(answer: Answer): void {
    if (answer.kind === 'prompt') {
      this.send(answer.prompt ? `\r\n${answer.prompt}\r\n` : '\r\n> ');
      this.pendingData = answer.onData;
      this.reader.expectData(answer.request);
      return;
    }
    for (const line of answer.lines ?? []) this.send(Buffer.concat([Buffer.from('\r\n'), line, Buffer.from('\r\n')]));
    this.send(`\r\n${this.finalText(answer.final)}\r\n`);
    this.reader.resume();
    answer.then?.();
  }

  private finalText(final: Final): string {
    if (typeof final === 'string') return final;
    if (this.cmee === 0) return 'ERROR';
    if (this.cmee === 2) return `+CME ERROR: ${CME_TEXT[final.cme] ?? 'unknown'}`;
    return `+CME ERROR: ${final.cme}`;
  }

  private execute(text: string): Answer {
    const cmd = parseQuectelCommand(text);
    if (!cmd) {
      this.violation(`not an AT command: ${JSON.stringify(text)}`);
      return error();
    }
    if (cmd.malformed) {
      this.violation(`malformed ${cmd.name || 'AT'}: ${cmd.malformed}: ${JSON.stringify(text)}`);
      return error();
    }
    const spec = this.commands.get(cmd.name);
    const handler = spec ? this.pick(spec, cmd.form) : undefined;
    if (!spec || !handler) {
      this.violation(`unknown command ${JSON.stringify(text)}`);
      return error();
    }
    if (cmd.form === 'set' && spec.set) {
      const problem = checkArgShape(cmd.args, spec.set.shape);
      if (problem) {
        this.violation(`${cmd.name}: ${problem}: ${JSON.stringify(text)}`);
        return error();
      }
      return spec.set.run(cmd.args);
    }
    return (handler as () => Answer)();
  }

  private pick(spec: CommandSpec, form: CommandForm): unknown {
    if (form === 'set') return spec.set;
    return spec[form];
  }

  // ------------------------------------------------------------------ basic commands

  private registerBasics(): void {
    const c = this.commands;
    c.set('', { exec: () => ok() });
    c.set('E', {
      exec: () => {
        this.reader.echo = false;
        return ok();
      },
      set: {
        shape: { types: ['i'] },
        run: (args) => {
          const v = (args[0] as { value: number }).value;
          if (v !== 0 && v !== 1) return error();
          this.reader.echo = v === 1;
          return ok();
        },
      },
    });
    c.set('I', { exec: () => ok(...this.traits.identification) });
    c.set('Z', { exec: () => ok() });
    c.set('V', { set: { shape: { types: ['i'] }, run: (a) => ((a[0] as { value: number }).value === 1 ? ok() : error()) } });
    c.set('&W', { exec: () => ok() });
    c.set('+GMR', { exec: () => ok(this.traits.revision) });
    c.set('+CGMR', { exec: () => ok(this.traits.revision) });
    c.set('+CGSN', { exec: () => ok(this.traits.imei) });
    c.set('+GSN', { exec: () => ok(this.traits.imei) });
    c.set('+CGMI', { exec: () => ok(this.traits.identification[0]) });
    c.set('+CGMM', { exec: () => ok(this.traits.identification[1]) });
    c.set('+CMEE', {
      read: () => ok(`+CMEE: ${this.cmee}`),
      test: () => ok('+CMEE: (0-2)'),
      set: {
        shape: { types: ['i'] },
        run: (a) => {
          const v = (a[0] as { value: number }).value;
          if (v < 0 || v > 2) return error();
          this.cmee = v;
          return ok();
        },
      },
    });
    c.set('+CPIN', {
      read: () => (this.simPresent ? ok('+CPIN: READY') : cme(10)),
    });
    c.set('+CIMI', { exec: () => (this.simPresent ? ok('460011234567890') : cme(10)) });
    c.set('+QCCID', { exec: () => (this.simPresent ? ok('+QCCID: 89860117838001234567') : cme(10)) });
    c.set('+CSQ', {
      exec: () => ok(`+CSQ: ${this.simPresent && this.cfun === 1 ? this.rssi : 99},99`),
      test: () => ok('+CSQ: (0-31,99),(0-7,99)'),
    });
    for (const prefix of REGISTRATION_TYPES) {
      c.set(prefix, {
        read: () => ok(`${prefix}: ${this.regUrcMode[prefix]},${this.registrationStat(prefix)}`),
        set: {
          shape: { types: ['i'] },
          run: (a) => {
            const v = (a[0] as { value: number }).value;
            if (v < 0 || v > 5) return error();
            this.regUrcMode[prefix] = v;
            return ok();
          },
        },
      });
    }
    c.set('+COPS', {
      read: () => ok(this.networkReady ? this.operatorLine() : '+COPS: 0'),
      set: { shape: { types: ['i', 'i', 's', 'i'], required: 1 }, run: () => ok() },
    });
    c.set('+CGATT', {
      read: () => ok(`+CGATT: ${this.networkReady ? 1 : 0}`),
      set: { shape: { types: ['i'] }, run: (a) => ((a[0] as { value: number }).value === 1 && !this.networkReady ? cme(30) : ok()) },
    });
    // Network time (quectel-clock.ts); only the EC20 has AT+QLTS among the emulated models.
    c.set('+CCLK', { read: () => ok(this.traits.model === 'ec20' ? this.networkClock.cclkEc20() : this.networkClock.cclkBc26()) });
    if (this.traits.model === 'ec20') {
      c.set('+QLTS', {
        exec: () => ok(this.networkClock.qlts(0)),
        test: () => ok('+QLTS: (0-2)'),
        set: {
          shape: { types: ['i'] },
          run: (a) => {
            const mode = (a[0] as { value: number }).value;
            return mode >= 0 && mode <= 2 ? ok(this.networkClock.qlts(mode)) : error();
          },
        },
      });
    }
    c.set('+CFUN', {
      read: () => ok(`+CFUN: ${this.cfun}`),
      set: { shape: { types: ['i', 'i'], required: 1 }, run: (a) => this.setCfun(a) },
    });
  }

  protected registrationStat(type: RegistrationType): number {
    return this.simPresent && this.cfun === 1 ? this.regStat[type] : 0;
  }

  protected abstract operatorLine(): string;

  /** AT+CFUN=<fun>[,<rst>]; models override the reset (rst=1) behaviour. */
  protected setCfun(args: QuectelArg[]): Answer {
    const fun = (args[0] as { value: number }).value;
    const rst = args[1]?.kind === 'int' ? args[1].value : 0;
    if (![0, 1, 4].includes(fun) || (rst !== 0 && rst !== 1)) return error();
    if (rst === 1) return { kind: 'final', final: 'OK', then: () => this.cfunReset() };
    this.cfun = fun;
    if (fun !== 1) this.mqtt.networkLost();
    return ok();
  }

  protected abstract cfunReset(): void;
}
