/**
 * The ESP-AT MQTT client (LinkID 0). Results are plain finals; credentials are given at
 * connect time (MQTTUSERCFG), so `open` only records host and port. Values longer than
 * MQTTUSERCFG allows, or a line over 255 bytes, go through the LONG* prompt commands.
 */
import { EventEmitter } from 'node:events';
import type { MqttConnectOptions, MqttSession } from './driver';
import { ModemError } from './errors';
import { checkPublish, checkTopic } from './payload-check';
import { isSkippable, type ProfileCommands } from './profile-commands';

const ESP_DEFAULT_KEEPALIVE = 120;

type LongField = 'clientId' | 'username' | 'password';
const LONG_COMMANDS: Record<LongField, string> = {
  clientId: 'mqttLongClientId',
  username: 'mqttLongUsername',
  password: 'mqttLongPassword',
};

export class EspSession extends EventEmitter implements MqttSession {
  private host?: string;
  private port = 1883;
  private connected = false;
  /** After a drop or a failed connect the client must be cleaned before MQTTUSERCFG again (P7). */
  private needsClean = true;

  constructor(
    private readonly cmds: ProfileCommands,
    readonly clientIndex: number,
  ) {
    super();
  }

  private get profile() {
    return this.cmds.profile;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async open(host: string, port: number, tls: boolean): Promise<void> {
    if (tls) {
      throw new ModemError('open', '', `${this.profile.name} (ESP-AT) has no TLS for MQTT in the supported firmware; use port 1883 without TLS`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ModemError('open', '', `port must be 1..65535, got ${port}`);
    if (typeof host !== 'string' || host.length === 0) throw new ModemError('open', '', 'host is empty');
    if (Buffer.byteLength(host) > this.profile.limits.hostBytes) {
      throw new ModemError('open', '', `host is longer than ${this.profile.limits.hostBytes} bytes`);
    }
    this.host = host;
    this.port = port;
  }

  async connect(opts: MqttConnectOptions): Promise<void> {
    const idx = this.clientIndex;
    if (!this.host) throw new ModemError('connect', '', 'open(host, port) must come before connect');
    const channel = this.cmds.channel;
    channel.addSecret(opts.password);
    if (this.needsClean) await this.clean();
    await this.userConfig(opts);
    if (opts.keepalive !== ESP_DEFAULT_KEEPALIVE || !opts.cleanSession) {
      await this.cmds.run('mqttConnCfg', { idx, keepalive: opts.keepalive, disableClean: opts.cleanSession ? 0 : 1 });
    }
    try {
      await this.cmds.run('mqttConnect', { idx, host: this.host, port: this.port }, { responsePrefixes: ['+MQTTCONNECTED'] });
    } catch (err) {
      this.needsClean = true;
      if (err instanceof ModemError) {
        throw new ModemError(
          err.command,
          err.code,
          `the broker refused or could not be reached (ESP-AT does not report the CONNACK code: check host, port, device id and secret)${err.code.includes('ERR CODE') ? `; ${err.meaning}` : ''}`,
          { cause: err },
        );
      }
      throw err;
    }
    this.connected = true;
    this.needsClean = false;
  }

  private async clean(): Promise<void> {
    try {
      await this.cmds.run('mqttClean', { idx: this.clientIndex });
    } catch (err) {
      // ERROR here means there was no client to clean.
      if (!isSkippable(err)) throw err;
    }
    this.needsClean = false;
  }

  private async userConfig(opts: MqttConnectOptions): Promise<void> {
    const limits = this.profile.limits;
    const values: Record<LongField, string> = { clientId: opts.clientId, username: opts.username, password: opts.password };
    const fieldLimit: Record<LongField, number> = {
      clientId: limits.clientIdBytes ?? 256,
      username: limits.usernameBytes ?? 64,
      password: limits.passwordBytes ?? 64,
    };
    const long = new Set<LongField>();
    for (const f of Object.keys(values) as LongField[]) {
      if (Buffer.byteLength(values[f]) > fieldLimit[f]) long.add(f);
    }
    const view = () => ({
      idx: this.clientIndex,
      clientId: long.has('clientId') ? '' : values.clientId,
      username: long.has('username') ? '' : values.username,
      password: long.has('password') ? '' : values.password,
    });
    // Move the longest remaining value to a LONG command until the line fits (< 256 bytes with CR LF).
    const maxLine = limits.lineBytes || Infinity;
    while (Buffer.byteLength(this.cmds.render('mqttUserCfg', view())) + 2 > maxLine) {
      const rest = (Object.keys(values) as LongField[]).filter((f) => !long.has(f));
      if (rest.length === 0) break;
      rest.sort((a, b) => Buffer.byteLength(values[b]) - Buffer.byteLength(values[a]));
      long.add(rest[0]);
    }
    try {
      await this.cmds.run('mqttUserCfg', view());
    } catch (err) {
      if (err instanceof ModemError) await this.explainMissingMqtt(err);
      throw err;
    }
    for (const f of long) {
      const data = Buffer.from(values[f], 'utf8');
      await this.cmds.run(LONG_COMMANDS[f], { idx: this.clientIndex, length: data.length }, { prompt: { data, okBeforePrompt: true } });
    }
  }

  /** MQTTUSERCFG answered ERROR: if the firmware has no MQTT at all, say how to fix that. */
  private async explainMissingMqtt(cause: ModemError): Promise<void> {
    try {
      await this.cmds.run('mqttState', {}, { responsePrefixes: ['+MQTTCONN:'] });
    } catch (err) {
      if (err instanceof ModemError) {
        throw new ModemError(cause.command, cause.code, 'this firmware has no MQTT AT commands: flash Espressif ESP-AT >= 2.2 (ESP8266 NonOS AT 1.x and ESP-AT 2.0 lack MQTT)', { cause });
      }
    }
  }

  async subscribe(topic: string, qos: 0 | 1): Promise<number> {
    checkTopic(this.profile, topic, false);
    if (qos !== 0 && qos !== 1) throw new ModemError('subscribe', '', `qos must be 0 or 1, got ${qos}`);
    // `ALREADY SUBSCRIBE` then OK is a success; ESP-AT does not report the granted QoS.
    await this.cmds.run('mqttSubscribe', { idx: this.clientIndex, topic, qos });
    return qos;
  }

  async unsubscribe(topic: string): Promise<void> {
    checkTopic(this.profile, topic, false);
    await this.cmds.run('mqttUnsubscribe', { idx: this.clientIndex, topic });
  }

  async publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    if (qos !== 0 && qos !== 1) throw new ModemError('publish', '', `qos must be 0 or 1, got ${qos}`);
    checkPublish(this.profile, topic, payload, qos);
    try {
      await this.cmds.run(
        'mqttPublish',
        { idx: this.clientIndex, topic, length: payload.length, qos },
        { prompt: { data: payload, okBeforePrompt: true }, okFinals: ['+MQTTPUB:OK'], errorFinals: ['+MQTTPUB:FAIL'] },
      );
    } catch (err) {
      if (err instanceof ModemError && err.code === '+MQTTPUB:FAIL') {
        throw new ModemError(err.command, err.code, 'the modem could not send the message (MQTT disconnected or buffer full)', { cause: err });
      }
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    const was = this.connected;
    this.connected = false;
    // ESP-AT has no separate DISCONNECT: MQTTCLEAN disconnects and frees the client.
    if (was || this.needsClean) await this.clean();
  }

  async close(): Promise<void> {
    await this.disconnect();
  }

  /** `+MQTTDISCONNECTED:<idx>`. It also precedes a failed MQTTCONN's ERROR, which is not a link loss. */
  handleDisconnected(): void {
    this.needsClean = true;
    if (!this.connected) return;
    this.connected = false;
    this.emit('linkDown', `+MQTTDISCONNECTED:${this.clientIndex} (the broker or the Wi-Fi link dropped the MQTT connection)`);
  }

  reset(): void {
    this.connected = false;
    this.needsClean = true;
  }
}
