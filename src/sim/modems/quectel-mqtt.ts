/**
 * The Quectel QMT* MQTT command set, modem side (docs/models/ec20.md, BC26 differences in docs/models/bc26.md).
 * Two-phase like the firmware: the command answers `OK` at once (or `ERROR` in the wrong state),
 * the outcome is a result URC a little later. Each client index 0-5 owns a real MQTT.js
 * connection (BrokerLink) to the broker named in AT+QMTOPEN, mapped through resolveBroker.
 */
import { BrokerLink } from './broker-link';
import type { DataResult } from './command-reader';
import { intArg, strArg, type QuectelArg } from './quectel-args';
import { quectelTraits, type QuectelTraits } from './quectel-traits';
import { QUECTEL_LINES, byteString, renderQuectelLine } from './quectel-urcs';
import type { Answer, CommandSpec, QuectelEmulator } from './quectel-emulator';
import type { ModemEmulatorOptions } from './types';

const ok = (...lines: (Buffer | string)[]): Answer => ({
  kind: 'final',
  lines: lines.map((l) => (typeof l === 'string' ? Buffer.from(l, 'latin1') : l)),
  final: 'OK',
});
const error = (): Answer => ({ kind: 'final', final: 'ERROR' });
const okThen = (then: () => void): Answer => ({ kind: 'final', final: 'OK', then });

type ClientState = 'closed' | 'opening' | 'open' | 'connecting' | 'connected' | 'disconnecting';

interface ClientConfig {
  version: 3 | 4;
  pdpcid: number;
  ssl: { on: boolean; ctx: number };
  keepalive: number;
  session: number;
  timeout: { pkt: number; retries: number; notice: number };
  will: { flag: number; qos: number; retain: number; topic: string; msg: string };
  recvMode: { mode: number; lengthOn: number };
  aliauth: string[];
  dataformat: [number, number];
}

interface Client {
  state: ClientState;
  host: string;
  port: number;
  link: BrokerLink | null;
}

/** AT+QSSLCFG values before any set, as the Quectel SSL manual gives them (file paths: none). */
const SSL_DEFAULTS: Record<string, string> = { sslversion: '4', ciphersuite: '0XFFFF', seclevel: '0' };

const CLIENTS = 6;
/** Longest host name QMTOPEN takes. */
const MAX_HOST = 100;

export class QuectelMqtt {
  private configs: ClientConfig[] = [];
  private clients: Client[] = [];
  private nextOpenResult: number | null = null;
  private nextConnResult: { result: number; retCode?: number } | null = null;
  private refuseNextSub = false;
  private readonly sslCfg = new Map<string, string>();

  constructor(
    private readonly modem: QuectelEmulator,
    private readonly traits: QuectelTraits,
    private readonly options: ModemEmulatorOptions,
  ) {
    this.reset();
  }

  /** Reboot / close: every link closes silently, every QMTCFG setting is lost. */
  reset(): void {
    for (const c of this.clients) c.link?.close();
    this.configs = Array.from({ length: CLIENTS }, () => this.defaultConfig());
    this.clients = Array.from({ length: CLIENTS }, () => ({ state: 'closed', host: '', port: 0, link: null }));
    this.nextOpenResult = null;
    this.nextConnResult = null;
    this.refuseNextSub = false;
    this.sslCfg.clear();
  }

  private defaultConfig(): ClientConfig {
    return {
      version: this.options.model === 'bc26' ? (this.options.defaultMqttVersion ?? this.traits.defaultMqttVersion) : this.traits.defaultMqttVersion,
      pdpcid: 1,
      ssl: { on: false, ctx: 0 },
      keepalive: 120,
      session: 1,
      timeout: { pkt: this.traits.defaultPacketTimeoutS, retries: 3, notice: 0 },
      will: { flag: 0, qos: 0, retain: 0, topic: '', msg: '' },
      recvMode: { mode: 0, lengthOn: 0 },
      aliauth: [],
      dataformat: [0, 0],
    };
  }

  injectOpenResult(result: number): void {
    this.nextOpenResult = result;
  }
  injectConnResult(result: number, retCode?: number): void {
    this.nextConnResult = { result, retCode };
  }
  injectSubscribeRefusal(): void {
    this.refuseNextSub = true;
  }

  /** Link loss on one client: `+QMTSTAT: <idx>,<code>` (fault injection). */
  breakLink(idx: number, code: number): void {
    const client = this.clients[idx];
    if (!client || client.state === 'closed') return;
    const link = client.link;
    client.link = null;
    link?.close();
    client.state = 'closed';
    this.modem.later(() => this.modem.urc(`+QMTSTAT: ${idx},${code}`));
  }

  /** The radio went away (CFUN=0/4): every open client reports link loss. */
  networkLost(): void {
    for (let idx = 0; idx < CLIENTS; idx++) this.breakLink(idx, 1);
  }

  register(c: Map<string, CommandSpec>): void {
    c.set('+QMTCFG', {
      test: () => ok(`+QMTCFG: ${[...this.traits.qmtcfg].map((n) => `"${n}"`).join(',')}`),
      set: { shape: { types: ['s'], repeat: ['?'] }, run: (a) => this.qmtcfg(a) },
    });
    c.set('+QMTOPEN', {
      read: () => this.openQuery(),
      test: () => ok('+QMTOPEN: (0-5),"<host_name>",(1-65535)'),
      set: { shape: { types: ['i', 's', 'i'] }, run: (a) => this.open(a) },
    });
    c.set('+QMTCLOSE', { set: { shape: { types: ['i'] }, run: (a) => this.close(a) } });
    c.set('+QMTCONN', {
      read: () => this.connQuery(),
      test: () => ok('+QMTCONN: (0-5),"<clientID>","<username>","<password>"'),
      set: { shape: { types: ['i', 's', 's', 's'], required: 2 }, run: (a) => this.connect(a) },
    });
    c.set('+QMTDISC', { set: { shape: { types: ['i'] }, run: (a) => this.disconnect(a) } });
    c.set('+QMTSUB', { set: { shape: { types: ['i', 'i', 's', 'i'], repeat: ['s', 'i'] }, run: (a) => this.subscribe(a) } });
    c.set('+QMTUNS', { set: { shape: { types: ['i', 'i', 's'], repeat: ['s'] }, run: (a) => this.unsubscribe(a) } });
    c.set('+QMTPUB', {
      set: { shape: { types: ['i', 'i', 'i', 'i', 's', '?'], required: 5 }, run: (a) => this.publish(a, '+QMTPUB') },
    });
    if (this.traits.pubex) {
      c.set('+QMTPUBEX', { set: { shape: { types: ['i', 'i', 'i', 'i', 's', 'i'] }, run: (a) => this.publish(a, '+QMTPUBEX') } });
    }
    if (this.traits.model === 'ec20') {
      c.set('+QSSLCFG', { set: { shape: { types: ['s', 'i'], repeat: ['h'] }, run: (a) => this.qsslcfg(a) } });
    }
  }

  // ------------------------------------------------------------------ QMTCFG

  private idxOk(idx: number | undefined): idx is number {
    return idx !== undefined && idx >= 0 && idx < CLIENTS;
  }

  private qmtcfg(a: QuectelArg[]): Answer {
    const name = strArg(a, 0)!.toLowerCase();
    const idx = intArg(a, 1);
    if (!this.traits.qmtcfg.has(name)) {
      // A setting of a newer release is a well-formed command this firmware just lacks.
      if (!quectelTraits(this.traits.model, 'current').qmtcfg.has(name)) {
        this.modem.strictViolation(`AT+QMTCFG: unknown sub-command "${name}" on ${this.traits.model}`);
      }
      return error();
    }
    if (!this.idxOk(idx)) {
      this.modem.strictViolation(`AT+QMTCFG="${name}": client index must be 0-5`);
      return error();
    }
    const cfg = this.configs[idx];
    const rest = a.slice(2);
    const ints = rest.map((x) => (x.kind === 'int' ? x.value : undefined));
    const allInts = ints.every((v) => v !== undefined);
    const query = rest.length === 0;
    const bad = (why: string): Answer => {
      this.modem.strictViolation(`AT+QMTCFG="${name}",${idx}: ${why}`);
      return error();
    };
    const show = (values: string): Answer => ok(renderQuectelLine(QUECTEL_LINES.qmtcfgString, { name, values }));
    switch (name) {
      case 'version':
        if (query) return show(String(cfg.version));
        if (!allInts || rest.length !== 1 || (ints[0] !== 3 && ints[0] !== 4)) return bad('version must be 3 or 4');
        cfg.version = ints[0] as 3 | 4;
        return ok();
      case 'pdpcid':
        if (query) return show(String(cfg.pdpcid));
        if (!allInts || rest.length !== 1 || ints[0]! < 1 || ints[0]! > 16) return bad('cid must be 1-16');
        cfg.pdpcid = ints[0]!;
        return ok();
      case 'ssl':
        if (query) return show(`${cfg.ssl.on ? 1 : 0},${cfg.ssl.ctx}`);
        if (!allInts || rest.length > 2 || (ints[0] !== 0 && ints[0] !== 1) || (ints[1] ?? 0) < 0 || (ints[1] ?? 0) > 5) {
          return bad('expected <0|1>[,<ctx 0-5>]');
        }
        cfg.ssl = { on: ints[0] === 1, ctx: ints[1] ?? 0 };
        return ok();
      case 'keepalive':
        if (query) return show(String(cfg.keepalive));
        if (!allInts || rest.length !== 1 || ints[0]! < 0 || ints[0]! > 3600) return bad('keepalive must be 0-3600');
        cfg.keepalive = ints[0]!;
        return ok();
      case 'session':
        if (query) return show(String(cfg.session));
        if (!allInts || rest.length !== 1 || (ints[0] !== 0 && ints[0] !== 1)) return bad('session must be 0 or 1');
        cfg.session = ints[0]!;
        return ok();
      case 'timeout': {
        const t = cfg.timeout;
        if (query) return show(`${t.pkt},${t.retries},${t.notice}`);
        const [pkt, retries, notice] = ints;
        if (!allInts || rest.length !== 3 || pkt! < 1 || pkt! > 60 || retries! < 0 || retries! > 10 || (notice !== 0 && notice !== 1)) {
          return bad('expected <pkt 1-60>,<retries 0-10>,<notice 0|1>');
        }
        cfg.timeout = { pkt: pkt!, retries: retries!, notice: notice! };
        return ok();
      }
      case 'will': {
        const w = cfg.will;
        if (query) return show(w.flag ? `1,${w.qos},${w.retain},"${w.topic}","${w.msg}"` : '0');
        const flag = ints[0];
        if (flag === 0 && rest.length === 1) {
          cfg.will = { flag: 0, qos: 0, retain: 0, topic: '', msg: '' };
          return ok();
        }
        const [f, q, r, t, m] = rest;
        if (rest.length !== 5 || f.kind !== 'int' || q.kind !== 'int' || r.kind !== 'int' || t.kind !== 'str' || m.kind !== 'str') {
          return bad('expected <flag>[,<qos>,<retain>,"<topic>","<msg>"]');
        }
        if (f.value !== 1 || q.value < 0 || q.value > 2 || (r.value !== 0 && r.value !== 1) || Buffer.byteLength(m.value) > 255) {
          return bad('will values out of range');
        }
        cfg.will = { flag: 1, qos: q.value, retain: r.value, topic: t.value, msg: m.value };
        return ok();
      }
      case 'recv/mode': {
        const r = cfg.recvMode;
        if (query) return show(`${r.mode},${r.lengthOn}`);
        if (!allInts || rest.length > 2 || (ints[0] !== 0 && ints[0] !== 1) || (ints[1] !== undefined && ints[1] !== 0 && ints[1] !== 1)) {
          return bad('expected <mode 0|1>[,<len 0|1>]');
        }
        // Buffered mode (1) needs AT+QMTRECV reads, which this emulator does not offer.
        if (ints[0] === 1) return bad('recv/mode 1 (buffered) is not emulated');
        cfg.recvMode = { mode: ints[0]!, lengthOn: ints[1] ?? 0 };
        return ok();
      }
      case 'aliauth':
        if (query) return show(cfg.aliauth.map((s) => `"${s}"`).join(',') || '""');
        if (rest.length !== 3 || rest.some((x) => x.kind !== 'str')) return bad('expected "<pk>","<dn>","<ds>"');
        cfg.aliauth = rest.map((x) => (x as { value: string }).value);
        return ok();
      case 'dataformat':
        if (query) return show(`${cfg.dataformat[0]},${cfg.dataformat[1]}`);
        if (!allInts || rest.length !== 2 || ints.some((v) => v !== 0 && v !== 1)) return bad('expected <send 0|1>,<recv 0|1>');
        cfg.dataformat = [ints[0]!, ints[1]!];
        return ok();
      default:
        return bad('not emulated');
    }
  }

  private qsslcfg(a: QuectelArg[]): Answer {
    const name = strArg(a, 0)!.toLowerCase();
    const ctx = intArg(a, 1)!;
    if (ctx < 0 || ctx > 5) return error();
    const key = `${name}/${ctx}`;
    if (a.length === 2) {
      const value = this.sslCfg.get(key) ?? SSL_DEFAULTS[name] ?? '""';
      return ok(renderQuectelLine(QUECTEL_LINES.qsslcfg, { name, ctx, value }));
    }
    const value = a
      .slice(2)
      .map((x) => (x.kind === 'str' ? `"${x.value}"` : x.kind === 'int' || x.kind === 'bare' ? x.text : ''))
      .join(',');
    // The manual's ranges for the two settings that change the handshake here.
    const n = intArg(a, 2);
    if (name === 'seclevel' && (a.length !== 3 || n === undefined || n < 0 || n > 2)) {
      this.modem.strictViolation('AT+QSSLCFG="seclevel": expected <ctx 0-5>,<seclevel 0-2>');
      return error();
    }
    if (name === 'sslversion' && (a.length !== 3 || n === undefined || n < 0 || n > 4)) {
      this.modem.strictViolation('AT+QSSLCFG="sslversion": expected <ctx 0-5>,<version 0-4>');
      return error();
    }
    this.sslCfg.set(key, value);
    return ok();
  }

  /**
   * What the SSL context asks of the handshake (Quectel SSL AT manual, AT+QSSLCFG "seclevel"):
   * 0, the default, authenticates nothing; 1 verifies the server's chain, 2 also offers a client
   * certificate when asked (none is emulated). The chain is checked against the UFS file that
   * "cacert" names (quectel-ufs.ts); with no such file nothing is trusted, so the handshake
   * fails and QMTOPEN reports -1, as a module whose cacert file is missing does.
   */
  private tlsPolicy(ctx: number): { verify: boolean; ca?: Buffer } {
    const seclevel = Number(this.sslCfg.get(`seclevel/${ctx}`) ?? '0');
    if (seclevel === 0) return { verify: false };
    const path = this.sslCfg.get(`cacert/${ctx}`)?.replace(/^"|"$/g, '');
    const name = path?.startsWith('UFS:') ? path.slice(4) : path;
    return { verify: true, ca: name ? this.options.ufs?.get(name) : undefined };
  }

  // ------------------------------------------------------------------ open / close

  private openQuery(): Answer {
    const lines: Buffer[] = [];
    this.clients.forEach((c, idx) => {
      if (c.state !== 'closed' && c.state !== 'opening') {
        lines.push(renderQuectelLine(QUECTEL_LINES.qmtopenQuery, { idx, host: byteString(c.host), port: c.port }));
      }
    });
    return ok(...lines);
  }

  private connQuery(): Answer {
    const code: Record<ClientState, number> = { closed: 0, opening: 1, open: 1, connecting: 2, connected: 3, disconnecting: 4 };
    const lines: string[] = [];
    this.clients.forEach((c, idx) => {
      if (c.state !== 'closed') lines.push(`+QMTCONN: ${idx},${code[c.state]}`);
    });
    return ok(...lines);
  }

  private open(a: QuectelArg[]): Answer {
    const idx = intArg(a, 0);
    const host = strArg(a, 1)!;
    const port = intArg(a, 2)!;
    if (!this.idxOk(idx) || host.length === 0 || Buffer.byteLength(host) > MAX_HOST || port < 1 || port > 65535) {
      this.modem.strictViolation(`AT+QMTOPEN: parameter out of range (idx ${idx}, host length ${Buffer.byteLength(host)}, port ${port})`);
      return error();
    }
    const client = this.clients[idx];
    const gen = this.modem.currentGeneration;
    const result = (r: number): void => this.modem.later(() => this.modem.urc(`+QMTOPEN: ${idx},${r}`, gen));
    if (client.state !== 'closed') return okThen(() => result(2));
    const injected = this.nextOpenResult;
    this.nextOpenResult = null;
    if (injected !== null) return okThen(() => result(injected));
    const cfg = this.configs[idx];
    if (!this.modem.networkReady || !this.modem.pdpReady(cfg.pdpcid)) return okThen(() => result(3));
    client.state = 'opening';
    client.host = host;
    client.port = port;
    return okThen(() => {
      const target = this.options.resolveBroker ? this.options.resolveBroker(host, port) : { host, port };
      const useTls = this.traits.model === 'ec20' && cfg.ssl.on;
      const link = new BrokerLink();
      void link.open({ ...target, tls: useTls ? this.tlsPolicy(cfg.ssl.ctx) : undefined }, 10_000).then((failure) => {
        if (gen !== this.modem.currentGeneration || client.state !== 'opening') {
          link.close();
          return;
        }
        if (failure) {
          client.state = 'closed';
          this.modem.emitLog(`QMTOPEN ${idx} ${host}:${port} failed: ${failure}`);
          result(failure === 'dns' ? 4 : -1);
          return;
        }
        client.link = link;
        client.state = 'open';
        link.on('lost', () => this.onLost(idx, link));
        link.on('message', (topic: string, payload: Buffer, mid: number) => this.onMessage(idx, topic, payload, mid));
        result(0);
      });
    });
  }

  private close(a: QuectelArg[]): Answer {
    const idx = intArg(a, 0);
    if (!this.idxOk(idx)) return error();
    const client = this.clients[idx];
    if (client.state === 'closed' || client.state === 'opening') return error();
    const gen = this.modem.currentGeneration;
    return okThen(() => {
      const link = client.link;
      client.link = null;
      client.state = 'closed';
      link?.close();
      this.modem.later(() => this.modem.urc(`+QMTCLOSE: ${idx},0`, gen));
    });
  }

  // ------------------------------------------------------------------ connect / disconnect

  private connect(a: QuectelArg[]): Answer {
    const idx = intArg(a, 0);
    if (!this.idxOk(idx)) return error();
    if (a.length === 3) {
      this.modem.strictViolation('AT+QMTCONN: a username needs a password');
      return error();
    }
    const client = this.clients[idx];
    if (client.state !== 'open' || !client.link) return error();
    const clientId = strArg(a, 1)!;
    const username = strArg(a, 2);
    const password = strArg(a, 3);
    const gen = this.modem.currentGeneration;
    const urc = (line: string): void => this.modem.later(() => this.modem.urc(line, gen));
    const injected = this.nextConnResult;
    this.nextConnResult = null;
    if (injected) {
      return okThen(() => urc(`+QMTCONN: ${idx},${injected.result}${injected.retCode !== undefined ? `,${injected.retCode}` : ''}`));
    }
    const cfg = this.configs[idx];
    const link = client.link;
    client.state = 'connecting';
    return okThen(() => {
      const will =
        cfg.will.flag === 1
          ? { topic: cfg.will.topic, payload: Buffer.from(cfg.will.msg), qos: cfg.will.qos as 0 | 1 | 2, retain: cfg.will.retain === 1 }
          : undefined;
      void link
        .connect({
          clientId,
          username,
          password,
          protocolVersion: cfg.version,
          keepaliveS: cfg.keepalive,
          clean: cfg.session === 1,
          will,
          timeoutMs: cfg.timeout.pkt * 1000,
        })
        .then((outcome) => {
          if (gen !== this.modem.currentGeneration || client.link !== link) return;
          if (outcome === 0) {
            client.state = 'connected';
            urc(`+QMTCONN: ${idx},0,0`);
            return;
          }
          // Refused (CONNACK rc) or no CONNACK: the broker closes the socket, the client is gone.
          client.state = 'closed';
          client.link = null;
          link.close();
          // The firmware prints the result and the close back to back, in this order. Two
          // independent random latencies used to reorder them or push the +QMTSTAT past the
          // host's next QMTOPEN, where it closed the new session in the driver's eyes.
          const lines =
            outcome === 'timeout' ? [`+QMTCONN: ${idx},2`, `+QMTSTAT: ${idx},4`] : [`+QMTCONN: ${idx},0,${outcome}`, `+QMTSTAT: ${idx},3`];
          this.modem.later(() => {
            for (const line of lines) this.modem.urc(line, gen);
          });
        });
    });
  }

  private disconnect(a: QuectelArg[]): Answer {
    const idx = intArg(a, 0);
    if (!this.idxOk(idx)) return error();
    const client = this.clients[idx];
    if (client.state !== 'connected' || !client.link) return error();
    const link = client.link;
    const gen = this.modem.currentGeneration;
    client.state = 'disconnecting';
    return okThen(() => {
      void link.disconnect().then(() => {
        if (client.link === link) {
          client.link = null;
          client.state = 'closed';
        }
        this.modem.later(() => this.modem.urc(`+QMTDISC: ${idx},0`, gen));
      });
    });
  }

  private onLost(idx: number, link: BrokerLink): void {
    const client = this.clients[idx];
    if (client.link !== link) return;
    client.link = null;
    client.state = 'closed';
    this.modem.later(() => this.modem.urc(`+QMTSTAT: ${idx},1`));
  }

  // ------------------------------------------------------------------ subscribe

  private subscribe(a: QuectelArg[]): Answer {
    const idx = intArg(a, 0);
    const mid = intArg(a, 1)!;
    const filters: { topic: string; qos: number }[] = [];
    for (let k = 2; k < a.length; k += 2) filters.push({ topic: strArg(a, k)!, qos: intArg(a, k + 1)! });
    if (!this.idxOk(idx) || mid < 1 || mid > 65535 || filters.some((f) => f.qos < 0 || f.qos > 2 || f.topic === '')) {
      this.modem.strictViolation('AT+QMTSUB: parameter out of range');
      return error();
    }
    const client = this.clients[idx];
    if (client.state !== 'connected' || !client.link) return error();
    const link = client.link;
    const gen = this.modem.currentGeneration;
    const refuse = this.refuseNextSub;
    this.refuseNextSub = false;
    return okThen(() => {
      if (refuse) {
        this.modem.later(() => this.modem.urc(`+QMTSUB: ${idx},${mid},0,${filters.map(() => 128).join(',')}`, gen));
        return;
      }
      void link.subscribe(filters).then((granted) => {
        const line = granted ? `+QMTSUB: ${idx},${mid},0,${granted.join(',')}` : `+QMTSUB: ${idx},${mid},2`;
        this.modem.later(() => this.modem.urc(line, gen));
      });
    });
  }

  private unsubscribe(a: QuectelArg[]): Answer {
    const idx = intArg(a, 0);
    const mid = intArg(a, 1)!;
    const topics = a.slice(2).map((x) => (x as { value: string }).value);
    if (!this.idxOk(idx) || mid < 1 || mid > 65535) {
      this.modem.strictViolation('AT+QMTUNS: parameter out of range');
      return error();
    }
    const client = this.clients[idx];
    if (client.state !== 'connected' || !client.link) return error();
    const link = client.link;
    const gen = this.modem.currentGeneration;
    return okThen(() => {
      void link.unsubscribe(topics).then((done) => {
        this.modem.later(() => this.modem.urc(`+QMTUNS: ${idx},${mid},${done ? 0 : 2}`, gen));
      });
    });
  }

  // ------------------------------------------------------------------ publish

  private publish(a: QuectelArg[], command: '+QMTPUB' | '+QMTPUBEX'): Answer {
    const idx = intArg(a, 0);
    const mid = intArg(a, 1)!;
    const qos = intArg(a, 2)!;
    const retain = intArg(a, 3)!;
    const topic = strArg(a, 4)!;
    const sixth = a[5];
    const bad = (why: string): Answer => {
      this.modem.strictViolation(`AT${command}: ${why}`);
      return error();
    };
    if (!this.idxOk(idx) || qos < 0 || qos > 2 || (retain !== 0 && retain !== 1)) return bad('parameter out of range');
    if (qos === 0 ? mid !== 0 : mid < 1 || mid > 65535) return bad(`msgid ${mid} does not fit qos ${qos}`);
    if (topic === '' || /[+#]/.test(topic)) return bad('publish topic must be non-empty and without wildcards');
    const client = this.clients[idx];
    if (client.state !== 'connected' || !client.link) return error();
    const send = (payload: Buffer): void => this.sendPublish(idx, mid, qos, retain, topic, payload, command);
    const sent = (payload: Buffer): Answer => okThen(() => send(payload));

    if (sixth === undefined) {
      // Form A: `>`, data, Ctrl-Z (ESC cancels).
      return {
        kind: 'prompt',
        request: { mode: 'ctrl-z', max: this.traits.maxDataPayload },
        onData: (r: DataResult) => {
          if (r.kind === 'cancelled') return ok();
          if (r.kind === 'overflow') return bad(`payload of ${r.length} bytes exceeds ${this.traits.maxDataPayload}`);
          return sent(r.bytes);
        },
      };
    }
    if (sixth.kind === 'int') {
      // Form B / QMTPUBEX: `>`, exactly len bytes.
      const len = sixth.value;
      if (len < 1 || len > this.traits.maxDataPayload) return bad(`length ${len} outside 1-${this.traits.maxDataPayload}`);
      return {
        kind: 'prompt',
        request: { mode: 'length', length: len },
        onData: (r: DataResult) => (r.kind === 'data' ? sent(r.bytes) : error()),
      };
    }
    if (sixth.kind === 'str' && command === '+QMTPUB') {
      // Form D: inline message (BC26; EC20 only behind the inlinePublish flag).
      const max = this.traits.model === 'ec20' ? (this.options.inlinePublish ? this.traits.maxDataPayload : 0) : this.traits.maxInlinePayload;
      if (max === 0) return bad('inline publish is not enabled on this model');
      const payload = Buffer.from(sixth.value, 'utf8');
      if (payload.length > max) return bad(`inline payload of ${payload.length} bytes exceeds ${max}`);
      return sent(payload);
    }
    return bad('sixth parameter must be a length or a quoted message');
  }

  private sendPublish(idx: number, mid: number, qos: number, retain: number, topic: string, payload: Buffer, command: string): void {
    const client = this.clients[idx];
    const link = client.link;
    const gen = this.modem.currentGeneration;
    const result = (r: number): void => this.modem.later(() => this.modem.urc(`${command}: ${idx},${mid},${r}`, gen));
    if (!link || client.state !== 'connected') {
      result(2);
      return;
    }
    void link.publish(topic, payload, qos as 0 | 1 | 2, retain === 1).then((done) => result(done ? 0 : 2));
  }

  // ------------------------------------------------------------------ downlinks

  private onMessage(idx: number, topic: string, payload: Buffer, mid: number): void {
    const client = this.clients[idx];
    if (client.state !== 'connected') return;
    if (!this.modem.canReceiveDownlink()) {
      this.modem.emitLog(`downlink on ${topic} lost: the modem sleeps`);
      this.modem.emit('downlinkLost', { clientIndex: idx, topic, payload });
      return;
    }
    const cfg = this.configs[idx];
    const withLength = this.traits.model === 'ec20' && cfg.recvMode.lengthOn === 1;
    const view = { idx, mid, topic: byteString(topic), payload: byteString(payload), length: payload.length };
    const line = renderQuectelLine(withLength ? QUECTEL_LINES.qmtrecvWithLength : QUECTEL_LINES.qmtrecv, view);
    this.modem.urc(line);
  }
}
