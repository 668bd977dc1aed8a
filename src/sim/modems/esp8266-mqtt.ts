/**
 * The MQTT client of the emulated ESP-AT (docs/models/esp8266.md "Command sequence" and
 * "Results and URCs"): its configuration, the broker link (a real MQTT.js client) and its loss.
 * Publishing and subscribing are in esp8266-mqtt-pubsub.ts.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { CommandFailure, CRLF, ERR, MQTT_ERR, needLink, needRange, type EspCall, type EspCommandTable, type EspDialect } from './esp8266-commands';
import { EspMqttPubSub } from './esp8266-mqtt-pubsub';

/** AT+MQTTCONN? states. */
export const enum MqttState {
  Uninit = 0,
  UserCfg = 1,
  ConnCfg = 2,
  Disconnected = 3,
  Connected = 4,
  Subscribed = 6,
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

/** Commands MQTT-less firmware does not know (answered ERROR, not a host violation). */
export const MQTT_COMMANDS = new Set([
  'MQTTUSERCFG', 'MQTTLONGCLIENTID', 'MQTTLONGUSERNAME', 'MQTTLONGPASSWORD', 'MQTTCLIENTID', 'MQTTUSERNAME',
  'MQTTPASSWORD', 'MQTTCONNCFG', 'MQTTCONN', 'MQTTPUB', 'MQTTPUBRAW', 'MQTTSUB', 'MQTTUNSUB', 'MQTTCLEAN',
]);

const AUTO_RECONNECT_MS = 1000;
const HOST_LIMIT = 128;

export class EspMqtt {
  state: MqttState = MqttState.Uninit;
  /** The link to the broker, while it is up. */
  client: MqttClient | null = null;
  private cfg: MqttConfig | null = null;
  private target: { host: string; port: number; reconnect: number } | null = null;
  /** Fault: the broker refuses the next AT+MQTTCONN. */
  private refuseNextConnect = false;
  private readonly pubSub: EspMqttPubSub;

  constructor(
    private readonly engine: EspDialect,
    /** The station is joined: no broker is reachable without it. */
    private readonly wifiUp: () => boolean,
  ) {
    this.pubSub = new EspMqttPubSub(engine, this);
  }

  get configured(): boolean {
    return this.cfg !== null;
  }

  register(c: EspCommandTable): void {
    c.set('MQTTUSERCFG', { set: (call) => this.userCfg(call) });
    for (const field of ['CLIENTID', 'USERNAME', 'PASSWORD']) {
      c.set(`MQTTLONG${field}`, { set: (call) => this.longField(`MQTTLONG${field}`, call) });
      c.set(`MQTT${field}`, { set: (call) => this.shortField(field, call) });
    }
    c.set('MQTTCONNCFG', { set: (call) => this.connCfg(call) });
    c.set('MQTTCONN', { set: (call) => this.connect(call), query: () => [this.connLine()] });
    c.set('MQTTCLEAN', {
      set: (call) => {
        const [link] = call.values(['int']);
        needLink(link);
        this.dropClient();
        this.state = MqttState.Uninit;
        this.cfg = null;
        this.target = null;
        this.pubSub.clear();
        return [];
      },
    });
    this.pubSub.register(c);
  }

  /** Forget configuration and link, silently (reboot). */
  reset(): void {
    this.pubSub.reset();
    this.dropClient();
    this.state = MqttState.Uninit;
    this.cfg = null;
    this.target = null;
  }

  faultConnectRefused(): void {
    this.refuseNextConnect = true;
  }

  faultDropLinkDuringPublish(): void {
    this.pubSub.dropLinkInNextPubRaw = true;
  }

  /** The client is connected: the client, else the failure a publish or subscribe answers. */
  connectedClient(): MqttClient {
    if (!this.client || this.state < MqttState.Connected) {
      throw new CommandFailure(ERR.execFailed, this.cfg ? MQTT_ERR.disconnected : MQTT_ERR.notConfigured);
    }
    return this.client;
  }

  /**
   * The broker link is gone: URC, state 3. With reconnect=1 the firmware retries on its own with
   * the OLD credentials (which is why drivers use 0, docs/models/esp8266.md) and announces success with
   * an unsolicited +MQTTCONNECTED.
   */
  linkLost(): void {
    if (!this.client) return;
    this.dropClient();
    this.state = MqttState.Disconnected;
    this.pubSub.clear();
    if (this.engine.readingData && this.pubSub.enteringPubRaw) {
      // During AT+MQTTPUBRAW data entry the URC has no line end: `+MQTTPUB:FAIL` follows it
      // straight after the data (docs/models/esp8266.md "Glued URC").
      this.pubSub.droppedDuringPubRaw = true;
      this.engine.send('+MQTTDISCONNECTED:0');
    } else {
      this.engine.send(`+MQTTDISCONNECTED:0${CRLF}`);
    }
    if (this.target?.reconnect === 1) this.scheduleAutoReconnect(this.engine.generation);
  }

  // ---------------------------------------------------------------- configuration

  private userCfg(call: EspCall): string[] {
    const [link, scheme, clientId, username, password, , , path] = call.values([
      'int', 'int', 'str', 'str', 'str', 'int', 'int', 'str',
    ]) as [number, number, Buffer, Buffer, Buffer, number, number, Buffer];
    needLink(link);
    // ESP8266 has no TLS: scheme 1 (TCP) or 6 (WebSocket) only.
    if (scheme !== 1 && scheme !== 6) throw new CommandFailure(ERR.invalidParam);
    if (this.state >= MqttState.Disconnected && this.client) throw new CommandFailure(ERR.execFailed, MQTT_ERR.alreadyConnected);
    // Per-field limits depend on the generation (esp8266-firmware.ts); the line limit applies too.
    const max = this.engine.traits.userCfgBytes;
    if (clientId.length > max.clientId) throw new CommandFailure(ERR.invalidParam, MQTT_ERR.clientIdTooLong);
    if (username.length > max.username) throw new CommandFailure(ERR.invalidParam, MQTT_ERR.usernameTooLong);
    if (password.length > max.password) throw new CommandFailure(ERR.invalidParam, MQTT_ERR.passwordTooLong);
    if (path.length > 32) throw new CommandFailure(ERR.invalidParam);
    this.cfg = {
      scheme, clientId, username, password, path,
      keepalive: 120, disableClean: false, lwtTopic: Buffer.alloc(0), lwtMsg: Buffer.alloc(0), lwtQos: 0, lwtRetain: false,
    };
    this.state = MqttState.UserCfg;
    return [];
  }

  private fieldOf(name: string): 'clientId' | 'username' | 'password' {
    return name.endsWith('CLIENTID') ? 'clientId' : name.endsWith('USERNAME') ? 'username' : 'password';
  }

  /** AT+MQTTLONG<field>=0,<len>: `OK`, `>`, then the field's raw bytes, then `OK`. */
  private async longField(name: string, call: EspCall): Promise<null> {
    if (!this.engine.traits.longCommands) {
      this.engine.violate(`AT+${name} does not exist in firmware ${this.engine.firmware}`);
      throw new CommandFailure(ERR.unsupported);
    }
    const [link, len] = call.values(['int', 'int']) as [number, number];
    needLink(link);
    needRange(len, 1, 1024);
    if (!this.cfg) throw new CommandFailure(ERR.execFailed, MQTT_ERR.notConfigured);
    const data = await this.engine.prompt(len, call.gen);
    if (call.gen !== this.engine.generation || !this.cfg) return null;
    this.cfg[this.fieldOf(name)] = data;
    this.engine.sendFinal(`${CRLF}OK${CRLF}`);
    return null;
  }

  private shortField(name: string, call: EspCall): string[] {
    const [link, value] = call.values(['int', 'str']) as [number, Buffer];
    needLink(link);
    if (!this.cfg) throw new CommandFailure(ERR.execFailed, MQTT_ERR.notConfigured);
    // The manual names no field limit here, only the line's (< 256 bytes, checked for every line).
    this.cfg[this.fieldOf(name)] = value;
    return [];
  }

  private connCfg(call: EspCall): string[] {
    const [link, keepalive, disableClean, lwtTopic, lwtMsg, lwtQos, lwtRetain] = call.values([
      'int', 'int', 'int', 'str', 'str', 'int', 'int',
    ]) as [number, number, number, Buffer, Buffer, number, number];
    needLink(link);
    needRange(keepalive, 0, 7200);
    needRange(disableClean, 0, 1);
    needRange(lwtQos, 0, 2);
    needRange(lwtRetain, 0, 1);
    if (!this.cfg) throw new CommandFailure(ERR.execFailed, MQTT_ERR.notConfigured);
    Object.assign(this.cfg, {
      keepalive: keepalive === 0 ? 120 : keepalive, // ESP-AT turns 0 into 120 (manual, AT+MQTTCONNCFG)
      disableClean: disableClean === 1,
      lwtTopic, lwtMsg, lwtQos, lwtRetain: lwtRetain === 1,
    });
    if (this.state < MqttState.ConnCfg) this.state = MqttState.ConnCfg;
    return [];
  }

  private connLine(): string {
    const t = this.target;
    const scheme = this.cfg?.scheme ?? 0;
    const path = this.cfg?.path.toString('latin1') ?? '';
    if (!t) return `+MQTTCONN:0,${this.state},${scheme},"","","${path}",0`;
    return `+MQTTCONN:0,${this.state},${scheme},"${t.host}","${t.port}","${path}",${t.reconnect}`;
  }

  // ---------------------------------------------------------------- link

  private async connect(call: EspCall): Promise<string[]> {
    const gen = call.gen;
    const [link, hostB, port, reconnect] = call.values(['int', 'str', 'int', 'int']) as [number, Buffer, number, number];
    needLink(link);
    needRange(port, 1, 65535);
    needRange(reconnect, 0, 1);
    if (hostB.length === 0 || hostB.length > HOST_LIMIT) throw new CommandFailure(ERR.invalidParam);
    const cfg = this.cfg;
    if (!cfg) throw new CommandFailure(ERR.execFailed, MQTT_ERR.notConfigured);
    if (this.client && this.state >= MqttState.Connected) throw new CommandFailure(ERR.execFailed, MQTT_ERR.alreadyConnected);
    const host = hostB.toString('latin1');
    const failed = () => {
      // After a failed connect the firmware forgets the target (capture esp_at_4.txt: +MQTTCONN:0,2,1,"","","",0).
      this.target = null;
      this.state = MqttState.ConnCfg;
      return new CommandFailure(ERR.execFailed, MQTT_ERR.disconnected, ['+MQTTDISCONNECTED:0']);
    };
    if (!this.wifiUp()) {
      await this.engine.pause(gen, 5);
      throw failed();
    }
    const refuse = this.refuseNextConnect;
    this.refuseNextConnect = false;
    const client = await this.open(cfg, host, port, refuse);
    if (gen !== this.engine.generation) {
      client?.end(true);
      return [];
    }
    if (!client) throw failed();
    this.client = client;
    this.target = { host, port, reconnect };
    this.state = MqttState.Connected;
    this.pubSub.clear();
    this.watch(client, gen);
    // +MQTTCONNECTED comes before the OK; real firmware quotes the port.
    return [`+MQTTCONNECTED:0,${cfg.scheme},"${host}","${port}","${cfg.path.toString('latin1')}",${reconnect}`];
  }

  /** Connect MQTT.js; resolves null on any failure (refused CONNACK, socket error, timeout). */
  private open(cfg: MqttConfig, host: string, port: number, refuse: boolean): Promise<MqttClient | null> {
    const { resolveBroker } = this.engine.opts;
    const target = resolveBroker ? resolveBroker(host, port) : { host, port };
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
          this.engine.log(`esp8266: MQTT connect to ${target.host}:${target.port} failed: ${why}`);
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

  private watch(client: MqttClient, gen: number): void {
    client.on('error', (err) => this.engine.log(`esp8266: MQTT error: ${err.message}`));
    client.on('close', () => {
      if (gen !== this.engine.generation || this.client !== client) return;
      this.linkLost();
    });
    client.on('message', (topic, payload, packet) => {
      if (gen !== this.engine.generation || this.client !== client) return;
      this.pubSub.downlink(topic, payload, packet.qos, gen);
    });
  }

  private scheduleAutoReconnect(gen: number): void {
    this.engine.after(AUTO_RECONNECT_MS, () => {
      const cfg = this.cfg;
      const target = this.target;
      if (gen !== this.engine.generation || !cfg || !target || this.client || !this.wifiUp()) return;
      void this.open(cfg, target.host, target.port, false).then((client) => {
        if (!client) {
          if (gen === this.engine.generation && this.target === target) this.scheduleAutoReconnect(gen);
          return;
        }
        if (gen !== this.engine.generation || this.target !== target || this.client) {
          client.end(true);
          return;
        }
        this.client = client;
        this.state = MqttState.Connected;
        this.watch(client, gen);
        this.engine.send(`+MQTTCONNECTED:0,${cfg.scheme},"${target.host}","${target.port}","${cfg.path.toString('latin1')}",1${CRLF}`);
      });
    });
  }

  private dropClient(): void {
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      c.end(true);
    }
  }
}
