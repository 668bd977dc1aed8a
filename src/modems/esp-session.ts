/**
 * The ESP-AT MQTT client (LinkID 0). Results are plain finals; credentials are given at
 * connect time (MQTTUSERCFG), so `open` only records host and port. Values longer than
 * MQTTUSERCFG allows, or a line over 255 bytes, go through their own commands: the LONG* prompt
 * commands from ESP-AT 2.2.2.0 on, AT+MQTTCLIENTID/USERNAME/PASSWORD before (docs/models/esp8266.md).
 */
import { EventEmitter } from 'node:events';
import type { MqttConnectOptions, MqttSession } from './driver';
import { ModemError, PayloadRejectedError } from './errors';
import { checkPublish, checkTopic } from './payload-check';
import { escapeRegex, isSkippable, type ProfileCommands } from './profile-commands';
import type { TlsSetting } from './tls-options';

const ESP_DEFAULT_KEEPALIVE = 120;
/** CONFIG_MQTT_BUFFER_SIZE of the stock ESP8266 ESP-AT build (docs/models/esp8266.md). */
const ESP8266_STOCK_MQTT_BUFFER = 512;

/** Bytes of the MQTT PUBLISH packet esp-mqtt builds for this message. */
function publishPacketBytes(topic: string, payloadBytes: number, qos: 0 | 1): number {
  const variable = 2 + Buffer.byteLength(topic, 'utf8') + (qos > 0 ? 2 : 0);
  const remaining = variable + payloadBytes;
  const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
  return 1 + lengthBytes + remaining;
}

type LongField = 'clientId' | 'username' | 'password';
const FIELDS: LongField[] = ['clientId', 'username', 'password'];
/** ESP-AT >= 2.2.2.0: length, `>`, raw bytes (no escaping). */
const LONG_COMMANDS: Record<LongField, string> = {
  clientId: 'mqttLongClientId',
  username: 'mqttLongUsername',
  password: 'mqttLongPassword',
};
/** ESP-AT 2.1 to 2.2.1: a quoted, escaped value on a line under 256 bytes. */
const SHORT_COMMANDS: Record<LongField, string> = {
  clientId: 'mqttClientId',
  username: 'mqttUsername',
  password: 'mqttPassword',
};

/** Compares dotted versions (`2.2.1.0` < `2.2.2.0`); missing parts count as 0. */
function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * How this firmware takes credentials (docs/models/esp8266.md "Command sequence"): 2.2.2.0 and later
 * have AT+MQTTLONG* and the manual's MQTTUSERCFG limits (256/64/64); older 2.x has no LONG*
 * commands, takes up to 256 bytes per MQTTUSERCFG field, and AT+MQTTCLIENTID/USERNAME/PASSWORD.
 * An unknown version is taken as current.
 */
export function credentialCommandsFor(
  version: string,
  limits: { clientIdBytes?: number; usernameBytes?: number; passwordBytes?: number },
): { long: boolean; userCfgBytes: Record<LongField, number> } {
  if (version && !versionAtLeast(version, '2.2.2')) {
    return { long: false, userCfgBytes: { clientId: 256, username: 256, password: 256 } };
  }
  return {
    long: true,
    userCfgBytes: { clientId: limits.clientIdBytes ?? 256, username: limits.usernameBytes ?? 64, password: limits.passwordBytes ?? 64 },
  };
}

/** `AT+MQTTCONN?` answers `+MQTTCONN:<LinkID>,<state>,...` when the profile names no response pattern. */
const mqttStateAnswer = (prefix: string) => `^${escapeRegex(prefix)}\\d+,(\\d+)`;

export class EspSession extends EventEmitter implements MqttSession {
  private host?: string;
  private port = 1883;
  private connected = false;
  /** After a drop or a failed connect the client must be cleaned before MQTTUSERCFG again (docs/models/esp8266.md). */
  private needsClean = true;
  /** ESP-AT version from AT+GMR ('' = not reported); undefined until asked. */
  private firmware?: string;

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

  async open(host: string, port: number, tls: TlsSetting): Promise<void> {
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

  /**
   * The ESP-AT version from AT+GMR (`2.2.0.0`), asked once per session; '' when the module
   * does not say. The credential commands differ per version (docs/models/esp8266.md).
   */
  private async firmwareVersion(): Promise<string> {
    if (this.firmware === undefined) {
      let version = '';
      try {
        const res = await this.cmds.run('gmr', {}, { responsePrefixes: ['AT version'] });
        version = res.lines.map((l) => /^AT version:(\d+(?:\.\d+)*)/.exec(l.trim())?.[1]).find(Boolean) ?? '';
      } catch (err) {
        if (!isSkippable(err)) throw err;
      }
      this.firmware = version;
      if (!version) this.cmds.note('AT+GMR named no ESP-AT version: assuming the AT+MQTTLONG* commands exist');
    }
    return this.firmware;
  }

  private async userConfig(opts: MqttConnectOptions): Promise<void> {
    const version = await this.firmwareVersion();
    const creds = credentialCommandsFor(version, this.profile.limits);
    const values: Record<LongField, string> = { clientId: opts.clientId, username: opts.username, password: opts.password };
    const separate = new Set<LongField>();
    for (const f of FIELDS) {
      if (Buffer.byteLength(values[f]) > creds.userCfgBytes[f]) separate.add(f);
    }
    const view = () => ({
      idx: this.clientIndex,
      clientId: separate.has('clientId') ? '' : values.clientId,
      username: separate.has('username') ? '' : values.username,
      password: separate.has('password') ? '' : values.password,
    });
    // Move the longest remaining value to its own command until the line fits (< 256 bytes with CR LF).
    const maxLine = this.profile.limits.lineBytes || Infinity;
    while (Buffer.byteLength(this.cmds.render('mqttUserCfg', view())) + 2 > maxLine) {
      const rest = FIELDS.filter((f) => !separate.has(f));
      if (rest.length === 0) break;
      rest.sort((a, b) => Buffer.byteLength(values[b]) - Buffer.byteLength(values[a]));
      separate.add(rest[0]);
    }
    // Check the separate lines before anything is sent: a half-configured client helps nobody.
    if (!creds.long) {
      for (const f of separate) {
        const bytes = Buffer.byteLength(this.cmds.render(SHORT_COMMANDS[f], { idx: this.clientIndex, value: values[f] })) + 2;
        if (bytes > maxLine) {
          throw new ModemError(
            SHORT_COMMANDS[f],
            '',
            `the MQTT ${f} is too long for ESP-AT ${version}: its AT+MQTT${f.toUpperCase()} line would be ${bytes} bytes (limit ${maxLine}); ESP-AT >= 2.2.2.0 has AT+MQTTLONG* for longer values`,
          );
        }
      }
    }
    try {
      await this.cmds.run('mqttUserCfg', view());
    } catch (err) {
      if (err instanceof ModemError) await this.explainMissingMqtt(err);
      throw err;
    }
    for (const f of separate) {
      if (creds.long) {
        const data = Buffer.from(values[f], 'utf8');
        await this.cmds.run(LONG_COMMANDS[f], { idx: this.clientIndex, length: data.length }, { prompt: { data, okBeforePrompt: true } });
      } else {
        await this.cmds.run(SHORT_COMMANDS[f], { idx: this.clientIndex, value: values[f] });
      }
    }
  }

  /** MQTTUSERCFG answered ERROR: if the firmware has no MQTT at all, say how to fix that. */
  private async explainMissingMqtt(cause: ModemError): Promise<void> {
    try {
      await this.cmds.query('mqttState', {}, mqttStateAnswer);
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
        // The module takes any length after `>` and fails only then (docs/models/esp8266.md
        // "Publish"): a packet over the stock buffer that failed while the link stays up was too big.
        const packet = publishPacketBytes(topic, payload.length, qos);
        if (packet > ESP8266_STOCK_MQTT_BUFFER && (await this.linkStillUp())) {
          throw new PayloadRejectedError(
            'publish',
            `the modem refused a ${payload.length}-byte message after taking it: the MQTT packet (${packet} bytes) is larger than its MQTT buffer (CONFIG_MQTT_BUFFER_SIZE, ${ESP8266_STOCK_MQTT_BUFFER} bytes on the stock ESP8266 firmware); set the profile's limits.mqttBufferBytes to the module's real buffer size or send less`,
          );
        }
        throw new ModemError(err.command, err.code, 'the modem could not send the message (MQTT disconnected or buffer full)', { cause: err });
      }
      throw err;
    }
  }

  /**
   * Asks the module whether its MQTT link is up (`AT+MQTTCONN?` state 4 to 6), so a failure
   * that came with a link loss is never taken for a refused message.
   */
  private async linkStillUp(): Promise<boolean> {
    if (!this.connected) return false;
    try {
      const state = (await this.cmds.query('mqttState', {}, mqttStateAnswer)).values[0];
      return this.connected && state !== undefined && Number(state) >= 4;
    } catch (err) {
      if (isSkippable(err)) return false;
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
