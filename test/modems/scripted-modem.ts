/**
 * A Transport whose far end is a short script of (command pattern → reply) rules: enough
 * to drive the real AT channel and driver through exact byte sequences, including the
 * error answers that an emulator produces only with fault injection.
 */
import { EventEmitter } from 'node:events';
import { afterEach } from 'node:test';
import { createModemDriver, type GenericModemDriver } from '../../dist/modems/generic-driver';
import type { Transport } from '../../dist/transport/transport';

export type Reply = string | ((m: RegExpMatchArray, modem: ScriptedModem) => void);

interface PromptWait {
  length?: number;
  ctrlZ?: boolean;
  onData(data: Buffer): void;
}

export class ScriptedModem extends EventEmitter implements Transport {
  readonly description = 'scripted-modem';
  isOpen = false;
  /** Command lines received, in order, without terminator. */
  readonly lines: string[] = [];
  /** Raw bytes received after prompts. */
  readonly prompted: Buffer[] = [];
  private rules: { match: RegExp; reply: Reply; times: number }[] = [];
  private pending = Buffer.alloc(0);
  private prompt?: PromptWait;

  constructor(private readonly terminator: '\r' | '\r\n' = '\r') {
    super();
  }

  /** Adds a rule; later rules win over earlier ones; `times` limits how often it applies. */
  rule(match: RegExp, reply: Reply, times = Infinity): this {
    this.rules.unshift({ match, reply, times });
    return this;
  }

  /** Sends bytes from the modem on the next tick, as a real port would. */
  send(text: string | Buffer): void {
    const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    setImmediate(() => this.isOpen && this.emit('data', buf));
  }

  /** Answers `>` and collects the payload (by length, or up to Ctrl-Z), then calls onData. */
  expectPrompt(wait: PromptWait, promptText = '\r\n> '): void {
    this.prompt = wait;
    this.send(promptText);
  }

  async open(): Promise<void> {
    this.isOpen = true;
  }

  async write(data: Buffer): Promise<void> {
    this.pending = Buffer.concat([this.pending, data]);
    this.drain();
  }

  private drain(): void {
    for (;;) {
      if (this.prompt) {
        const p = this.prompt;
        let end = -1;
        if (p.length !== undefined) end = this.pending.length >= p.length ? p.length : -1;
        else if (p.ctrlZ) end = this.pending.indexOf(0x1a);
        if (end < 0) return;
        const payload = this.pending.subarray(0, end);
        this.pending = this.pending.subarray(end + (p.ctrlZ && p.length === undefined ? 1 : 0));
        this.prompt = undefined;
        this.prompted.push(Buffer.from(payload));
        p.onData(Buffer.from(payload));
        continue;
      }
      const at = this.pending.indexOf(this.terminator);
      if (at < 0) return;
      const line = this.pending.subarray(0, at).toString('utf8');
      this.pending = this.pending.subarray(at + this.terminator.length);
      this.lines.push(line);
      this.handle(line);
    }
  }

  private handle(line: string): void {
    for (const rule of this.rules) {
      if (rule.times <= 0) continue;
      const m = line.match(rule.match);
      if (!m) continue;
      rule.times -= 1;
      if (typeof rule.reply === 'string') this.send(rule.reply);
      else rule.reply(m, this);
      return;
    }
    this.send('\r\nERROR\r\n');
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.emit('close');
  }
}

/** Rules for a healthy Quectel modem with MQTT client 0..5 (QMT* two-phase answers). */
export function healthyQuectel(modem: ScriptedModem): ScriptedModem {
  const opened = new Set<string>();
  return modem
    .rule(/^AT(E0|\+CMEE=\d|\+QURCCFG=.*|\+QSCLK=0|\+CPSMS=0|\+CEDRXS=0|\+QMTCFG=.*|\+QSSLCFG=.*|\+QICSGP=.*|\+QIACT=1|\+QCGDEFCONT=.*)?$/, '\r\nOK\r\n')
    .rule(/^ATI$/, '\r\nQuectel\r\nEC20F\r\nRevision: EC20CEFAR06A01M4G\r\n\r\nOK\r\n')
    .rule(/^AT\+CGSN$/, '\r\n867223040000001\r\n\r\nOK\r\n')
    .rule(/^AT\+CPIN\?$/, '\r\n+CPIN: READY\r\n\r\nOK\r\n')
    .rule(/^AT\+CSQ$/, '\r\n+CSQ: 24,99\r\n\r\nOK\r\n')
    .rule(/^AT\+C(E|G)?REG\?$/, (m, md) => md.send(`\r\n+C${m[1] ?? ''}REG: 0,1\r\n\r\nOK\r\n`))
    .rule(/^AT\+CGATT\?$/, '\r\n+CGATT: 1\r\n\r\nOK\r\n')
    .rule(/^AT\+QIACT\?$/, '\r\nOK\r\n')
    .rule(/^AT\+QMTOPEN=(\d),"[^"]+",\d+$/, (m, md) => {
      opened.add(m[1]);
      md.send(`\r\nOK\r\n\r\n+QMTOPEN: ${m[1]},0\r\n`);
    })
    .rule(/^AT\+QMTDISC=(\d)$/, (m, md) => md.send(opened.has(m[1]) ? `\r\nOK\r\n\r\n+QMTDISC: ${m[1]},0\r\n` : '\r\nERROR\r\n'))
    .rule(/^AT\+QMTCLOSE=(\d)$/, (m, md) => {
      const was = opened.delete(m[1]);
      md.send(was ? `\r\nOK\r\n\r\n+QMTCLOSE: ${m[1]},0\r\n` : '\r\nERROR\r\n');
    })
    .rule(/^AT\+QMTCONN=(\d),"[^"]*","[^"]*","[^"]*"$/, (m, md) => md.send(`\r\nOK\r\n\r\n+QMTCONN: ${m[1]},0,0\r\n`))
    .rule(/^AT\+QMTSUB=(\d),(\d+),"[^"]*",(\d)$/, (m, md) => md.send(`\r\nOK\r\n\r\n+QMTSUB: ${m[1]},${m[2]},0,${m[3]}\r\n`))
    .rule(/^AT\+QMTUNS=(\d),(\d+),"[^"]*"$/, (m, md) => md.send(`\r\nOK\r\n\r\n+QMTUNS: ${m[1]},${m[2]},0\r\n`))
    .rule(/^AT\+QMTPUB=(\d),(\d+),(\d),0,"[^"]*",(\d+)$/, (m, md) =>
      md.expectPrompt({ length: Number(m[4]), onData: () => md.send(`\r\nOK\r\n\r\n+QMTPUB: ${m[1]},${m[2]},0\r\n`) }),
    )
    .rule(/^AT\+QMTPUB=(\d),(\d+),(\d),0,"[^"]*"$/, (m, md) =>
      md.expectPrompt({ ctrlZ: true, onData: () => md.send(`\r\nOK\r\n\r\n+QMTPUB: ${m[1]},${m[2]},0\r\n`) }),
    );
}

/**
 * Registers an afterEach that closes every driver in `drivers`; call it once at the top level of
 * a test file. `setup(model)` builds the real driver over a healthy scripted Quectel with its
 * transport already open (the owner, the link layer, opens it; init() would open it too), traces
 * into `trace`, and adds the driver to `drivers` (a test may push drivers of its own).
 */
export function useScriptedDrivers(): {
  drivers: GenericModemDriver[];
  setup(model?: 'ec20' | 'bc26' | 'esp8266'): { modem: ScriptedModem; driver: GenericModemDriver; trace: string[] };
} {
  const drivers: GenericModemDriver[] = [];
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.close();
  });
  return {
    drivers,
    setup(model = 'ec20') {
      const modem = healthyQuectel(new ScriptedModem('\r'));
      const trace: string[] = [];
      const driver = createModemDriver(modem, model, { trace: (dir, text) => trace.push(`${dir} ${text}`) });
      drivers.push(driver);
      modem.isOpen = true;
      return { modem, driver, trace };
    },
  };
}
