/**
 * One Quectel QMT* client index. The QMT* commands are two-phase (docs/at-pitfalls.md P1): `OK` only means
 * "accepted", so every method waits for its result URC, matched by client index and
 * message id, and checks result and return code.
 */
import { EventEmitter } from 'node:events';
import type { AtResponse } from '../at/types';
import type { MqttConnectOptions, MqttSession } from './driver';
import { ModemError } from './errors';
import { checkPublish, checkTopic, meaningOf } from './payload-check';
import { isSkippable, type ProfileCommands } from './profile-commands';
import { trustCa } from './quectel-cacert';
import { resolveTls, type TlsSetting } from './tls-options';

export interface SessionOpenOptions {
  /** MQTT keepalive in seconds, written with QMTCFG before the open (default 120). */
  keepalive?: number;
  cleanSession?: boolean;
  /** PDP context the MQTT client uses (default 1). */
  pdpCid?: number;
  /** SSL context for TLS (default: the client index). */
  sslContext?: number;
}

const CTRL_Z = Buffer.from([0x1a]);

function checkInt(what: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new ModemError(what, '', `must be an integer ${min}..${max}, got ${v}`);
}

/**
 * The module reports a refused server certificate as a failed open (-1, or 5), like a network
 * fault; with verification on, the untrusted certificate is the likely cause, and retrying
 * soon cannot change it (docs/models/ec20.md, "Verified TLS").
 */
function untrustedServer(command: string, idx: number, code: number, port: number, caLabel: string): ModemError {
  return new ModemError(
    command,
    `+QMTOPEN: ${idx},${code}`,
    // The status bubble shows the first few words: the likely cause leads.
    `server certificate not trusted by ${caLabel} (the TLS handshake failed; or port ${port} does not speak TLS, or the network failed); check the CA setting of the connection`,
    { kind: 'permanent' },
  );
}

export class QuectelSession extends EventEmitter implements MqttSession {
  /** True between a successful QMTOPEN and a close/QMTSTAT; a QMTSTAT outside it is stale (docs/at-pitfalls.md P7). */
  private opened = false;
  private connected = false;
  /** A QMTCONN is waiting for its result URC. */
  private connecting = false;
  private nextMid = 1;
  private configured = { keepalive: 120, clean: 1 };
  /**
   * `+QMTRECV` of this client carries a length field: set by open() from the profile step that
   * enables it (refused on older EC20 firmware, absent on the BC26). Undefined before the first open.
   */
  recvLength: boolean | undefined;

  constructor(
    private readonly cmds: ProfileCommands,
    readonly clientIndex: number,
  ) {
    super();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  private get profile() {
    return this.cmds.profile;
  }

  /** Message ids 1-65535 per client index, wrapping. */
  private mid(): number {
    const m = this.nextMid;
    this.nextMid = m >= 65535 ? 1 : m + 1;
    return m;
  }

  private async twoPhase(name: string, view: Record<string, unknown>, urc: string, urcVars: Record<string, number>): Promise<AtResponse> {
    return this.cmds.run(name, view, {
      awaitUrc: this.cmds.awaitUrc(urc, { idx: this.clientIndex, ...urcVars }, this.cmds.timeout(name)),
    });
  }

  async open(host: string, port: number, tlsSetting: TlsSetting, opts: SessionOpenOptions = {}): Promise<void> {
    const tls = resolveTls(tlsSetting);
    const idx = this.clientIndex;
    checkInt('port', port, 1, 65535);
    if (typeof host !== 'string' || host.length === 0) throw new ModemError('open', '', 'host is empty');
    if (Buffer.byteLength(host) > this.profile.limits.hostBytes) {
      throw new ModemError('open', '', `host is longer than ${this.profile.limits.hostBytes} bytes`);
    }
    const keepalive = opts.keepalive ?? this.configured.keepalive;
    checkInt('keepalive', keepalive, 1, 3600);
    const clean = opts.cleanSession === false ? 0 : 1;
    if (tls.on && !this.profile.commands.cfgSsl) {
      throw new ModemError('open', '', `${this.profile.name} has no MQTT over TLS; use port 1883 without TLS`);
    }
    // A client left open by an earlier run answers QMTOPEN with 2 (identifier occupied): close it first (docs/at-pitfalls.md P7).
    await this.closeStale();
    const view = { idx, cid: opts.pdpCid ?? 1, keepalive, clean, pktSeconds: 5, retries: 3 };
    let recvLength = false;
    for (const step of this.profile.mqttConfig) {
      const applied = await this.cmds.runStep(step, view);
      if (step.enables === 'recvLength') recvLength = applied;
    }
    this.recvLength = recvLength;
    this.configured = { keepalive, clean };
    const ctx = opts.sslContext ?? idx;
    if (tls.on) {
      for (const name of ['sslVersion', 'sslCiphers']) {
        if (this.profile.commands[name]) await this.cmds.runStep({ command: name, optional: true, note: `${name} refused` }, { ctx });
      }
      // Verification fails closed (quectel-cacert.ts); level 0 is the module's default, so its refusal changes nothing.
      if (tls.verify) await trustCa(this.cmds, ctx, tls.ca, tls.caLabel);
      else await this.cmds.runStep({ command: 'sslSecLevel', optional: true, note: 'sslSecLevel 0 refused' }, { ctx, level: 0 });
      await this.cmds.run('cfgSsl', { idx, enable: 1, ctx });
    } else if (this.profile.commands.cfgSsl) {
      // The SSL flag survives until reboot; clear it in case an earlier flow used TLS on this index.
      await this.cmds.runStep({ command: 'cfgSsl', optional: true, note: 'QMTCFG "ssl" off refused' }, { idx, enable: 0, ctx: 0 });
    }
    let result = await this.openOnce(host, port);
    if (result.code === 2) {
      this.cmds.note(`QMTOPEN ${idx}: identifier occupied, closing and reopening`);
      await this.closeStale();
      result = await this.openOnce(host, port);
    }
    if (result.code !== 0) {
      if (tls.on && tls.verify && (result.code === -1 || result.code === 5)) throw untrustedServer(result.command, idx, result.code, port, tls.caLabel);
      // The firmware reports a failed TLS handshake as a plain network failure (-1); name the
      // usual cause so a user does not hunt for a network fault.
      const tlsHint = tls.on && result.code === -1 ? `; with TLS on, check that port ${port} speaks TLS (IoTDA: 8883)` : '';
      throw new ModemError(result.command, `+QMTOPEN: ${idx},${result.code}`, `${meaningOf(this.profile, 'qmtopen', result.code)}${tlsHint}`);
    }
    this.opened = true;
  }

  private async openOnce(host: string, port: number): Promise<{ command: string; code: number }> {
    const res = await this.twoPhase('mqttOpen', { idx: this.clientIndex, host, port }, 'open', {});
    return { command: res.command, code: Number(res.urcMatch?.[1]) };
  }

  /** QMTDISC then QMTCLOSE, ignoring "not open" answers: used before every open. */
  private async closeStale(): Promise<void> {
    this.opened = false;
    this.connected = false;
    for (const [name, urc] of [['mqttDisconnect', 'disconnect'], ['mqttClose', 'close']] as const) {
      try {
        await this.twoPhase(name, { idx: this.clientIndex }, urc, {});
      } catch (err) {
        if (!isSkippable(err)) throw err;
      }
    }
  }

  async connect(opts: MqttConnectOptions): Promise<void> {
    const idx = this.clientIndex;
    checkInt('keepalive', opts.keepalive, 1, 3600);
    const clean = opts.cleanSession ? 1 : 0;
    for (const step of this.profile.mqttConfig) {
      if (step.command === 'cfgKeepalive' && opts.keepalive !== this.configured.keepalive) {
        if (await this.cmds.runStep(step, { idx, keepalive: opts.keepalive })) this.configured.keepalive = opts.keepalive;
      }
      if (step.command === 'cfgSession' && clean !== this.configured.clean) {
        if (await this.cmds.runStep(step, { idx, clean })) this.configured.clean = clean;
      }
    }
    this.cmds.channel.addSecret(opts.password);
    let res: AtResponse;
    this.connecting = true;
    try {
      res = await this.twoPhase('mqttConnect', { idx, clientId: opts.clientId, username: opts.username, password: opts.password }, 'connect', {});
    } finally {
      this.connecting = false;
    }
    const result = Number(res.urcMatch?.[1]);
    const ret = res.urcMatch?.[2];
    // Only `+QMTCONN: i,0,0` is success: `i,0,4` is a delivered CONNACK that refuses us.
    if (result === 0 && ret === '0') {
      // A CONNACK proves the client is open, whatever a stale +QMTSTAT said meanwhile.
      this.opened = true;
      this.connected = true;
      return;
    }
    // The server closes TCP after a refusal; the +QMTSTAT that may follow is not a separate link loss.
    this.opened = false;
    if (result === 0 && ret !== undefined) {
      // CONNACK 4 (bad user name or password) and 5 (not authorised) alike: retrying a refused login cannot help.
      const connack = Number(ret);
      throw new ModemError(res.command, `+QMTCONN: ${idx},0,${ret}`, `CONNACK ${ret}: ${meaningOf(this.profile, 'connack', ret)}`, {
        kind: connack === 4 || connack === 5 ? 'auth' : 'transient',
        connack,
      });
    }
    throw new ModemError(res.command, `+QMTCONN: ${idx},${result}${ret !== undefined ? `,${ret}` : ''}`, meaningOf(this.profile, 'qmtconn', result));
  }

  async subscribe(topic: string, qos: 0 | 1): Promise<number> {
    checkTopic(this.profile, topic, false);
    checkInt('qos', qos, 0, 1);
    const mid = this.mid();
    const res = await this.twoPhase('mqttSubscribe', { idx: this.clientIndex, mid, topic, qos }, 'subscribe', { mid });
    const result = Number(res.urcMatch?.[1]);
    const granted = Number(res.urcMatch?.[2]);
    if (result !== 0) throw new ModemError(res.command, `+QMTSUB: ${this.clientIndex},${mid},${result}`, meaningOf(this.profile, 'qmtsub', result));
    if (granted === 128) {
      throw new ModemError(res.command, `+QMTSUB: ${this.clientIndex},${mid},0,128`, 'the broker refused the subscription (granted QoS 128); check the topic is in the device\'s own namespace');
    }
    return Number.isInteger(granted) ? granted : qos;
  }

  async unsubscribe(topic: string): Promise<void> {
    checkTopic(this.profile, topic, false);
    const mid = this.mid();
    const res = await this.twoPhase('mqttUnsubscribe', { idx: this.clientIndex, mid, topic }, 'unsubscribe', { mid });
    const result = Number(res.urcMatch?.[1]);
    if (result !== 0) throw new ModemError(res.command, `+QMTUNS: ${this.clientIndex},${mid},${result}`, meaningOf(this.profile, 'qmtuns', result));
  }

  async publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    checkInt('qos', qos, 0, 1);
    checkPublish(this.profile, topic, payload, qos);
    const idx = this.clientIndex;
    // QoS 0 carries message id 0; QoS 1 gets its own id so the result URC can be matched.
    const mid = qos === 0 ? 0 : this.mid();
    const form = this.profile.publish;
    const data = form.mode === 'ctrlz' ? Buffer.concat([payload, CTRL_Z]) : payload;
    const res = await this.cmds.run(
      'mqttPublish',
      { idx, mid, qos, topic, length: payload.length },
      {
        prompt: { data, ...(form.delayAfterPromptMs ? { delayAfterPromptMs: form.delayAfterPromptMs } : {}) },
        ...(qos === 1
          ? { awaitUrc: this.cmds.awaitUrc('publish', { idx, mid }, this.cmds.timeout('mqttPublish')) }
          : {}),
      },
    );
    if (qos === 1) {
      const result = Number(res.urcMatch?.[1]);
      // 1/2 (retransmitting, failed to send): the link, not the message; it may go out after a reconnect.
      if (result !== 0) throw new ModemError(res.command, `+QMTPUB: ${idx},${mid},${result}`, meaningOf(this.profile, 'qmtpub', result), { kind: 'transient' });
    }
  }

  async disconnect(): Promise<void> {
    const wasOpen = this.opened;
    this.connected = false;
    this.opened = false;
    if (!wasOpen) return;
    try {
      await this.twoPhase('mqttDisconnect', { idx: this.clientIndex }, 'disconnect', {});
    } catch (err) {
      if (!isSkippable(err)) throw err;
      // DISC fails when the server already dropped us; the close below still frees the index.
      await this.twoPhase('mqttClose', { idx: this.clientIndex }, 'close', {}).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.disconnect();
  }

  /** `+QMTSTAT: <idx>,<code>`: the client is closed by the modem. */
  handleStatus(code: number): void {
    if (!this.opened) {
      this.cmds.note(`ignoring stale +QMTSTAT: ${this.clientIndex},${code}`);
      return;
    }
    // 3 (CONNECT failed) and 4 (no CONNACK) end a connect attempt, whose +QMTCONN result reports
    // it. While a connect waits for that result, or once connected, they are the late close of
    // an earlier refused attempt (docs/at-pitfalls.md P7: stale +QMTSTAT after QMTCLOSE), not a link loss.
    // Taking one for real marked a healthy session closed, and its next real drop was ignored.
    if ((code === 3 || code === 4) && (this.connecting || this.connected)) {
      this.cmds.note(`ignoring +QMTSTAT: ${this.clientIndex},${code} from an earlier connect attempt`);
      return;
    }
    this.opened = false;
    this.connected = false;
    this.emit('linkDown', `+QMTSTAT: ${this.clientIndex},${code} (${meaningOf(this.profile, 'qmtstat', code)})`);
  }

  /** The modem restarted: QMTCFG and every client are gone. */
  reset(): void {
    this.opened = false;
    this.connected = false;
    this.configured = { keepalive: 120, clean: 1 };
    this.recvLength = undefined;
  }
}
