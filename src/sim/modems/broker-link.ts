/**
 * One emulated modem MQTT client: a REAL network connection to the broker named in the AT
 * commands. Quectel separates the network open (QMTOPEN) from the MQTT CONNECT (QMTCONN), so the
 * socket is opened first and handed to MQTT.js later through its stream-builder constructor.
 * MQTT.js never reconnects here: modems do not reconnect on their own (docs/iotda.md §1.1).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { MqttClient, type IClientOptions } from 'mqtt';

export type OpenFailure = 'dns' | 'refused' | 'timeout';

export interface BrokerTarget {
  host: string;
  port: number;
  /** verify: check the server's chain against `ca` (no CA: nothing is trusted); false: no check at all. */
  tls?: { verify: boolean; ca?: string | Buffer };
}

export interface ConnectParams {
  clientId: string;
  username?: string;
  password?: string;
  /** 3 = MQTT 3.1 (MQIsdp), 4 = 3.1.1. */
  protocolVersion: 3 | 4;
  keepaliveS: number;
  clean: boolean;
  will?: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean };
  timeoutMs: number;
}

/** CONNACK return code (0 accepted), or 'timeout' when none came. */
export type ConnectOutcome = number | 'timeout';

/**
 * Events: 'message' (topic: string, payload: Buffer, messageId: number, qos: number),
 * 'lost' () — the link closed without close()/disconnect() being asked for.
 */
export class BrokerLink extends EventEmitter {
  private socket: net.Socket | null = null;
  private client: MqttClient | null = null;
  private ending = false;

  get isOpen(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  get isConnected(): boolean {
    return this.client?.connected === true;
  }

  async open(target: BrokerTarget, timeoutMs: number): Promise<OpenFailure | null> {
    return new Promise((resolve) => {
      let settled = false;
      const opts = { host: target.host, port: target.port };
      const socket: net.Socket = target.tls
        ? tls.connect({
            ...opts,
            // An empty list, not undefined: undefined would fall back to Node's public roots,
            // which a modem does not have.
            ca: target.tls.ca ?? [],
            rejectUnauthorized: target.tls.verify,
            // Like the Huawei SDKs and modem firmware: the chain may be verified, the name is not.
            checkServerIdentity: () => undefined,
          })
        : net.connect(opts);
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      const finish = (failure: OpenFailure | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (failure) {
          socket.destroy();
          resolve(failure);
          return;
        }
        this.socket = socket;
        this.ending = false;
        socket.on('close', () => this.onSocketClosed(socket));
        resolve(null);
      };
      socket.once(target.tls ? 'secureConnect' : 'connect', () => finish(null));
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (!settled) finish(err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'dns' : 'refused');
      });
    });
  }

  async connect(params: ConnectParams): Promise<ConnectOutcome> {
    const socket = this.socket;
    if (!socket) throw new Error('broker link is not open');
    const options: IClientOptions = {
      clientId: params.clientId,
      username: params.username,
      password: params.password,
      protocolVersion: params.protocolVersion,
      protocolId: params.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      keepalive: params.keepaliveS,
      clean: params.clean,
      reconnectPeriod: 0,
      connectTimeout: params.timeoutMs,
      will: params.will,
    };
    let built = false;
    const client = new MqttClient(() => {
      // The stream builder runs once; a second call would be a reconnect, which modems never do.
      if (built) throw new Error('no reconnect');
      built = true;
      return socket;
    }, options);
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      this.emit('message', topic, payload, packet.messageId ?? 0, packet.qos);
    });
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), params.timeoutMs);
      client.once('connect', (connack) => {
        clearTimeout(timer);
        resolve(connack.returnCode ?? 0);
      });
      client.on('error', (err: Error & { code?: number }) => {
        clearTimeout(timer);
        resolve(typeof err.code === 'number' ? err.code : 'timeout');
      });
    });
  }

  /** Granted QoS per filter (128 = refused), or null when the broker did not answer. */
  async subscribe(filters: { topic: string; qos: number }[]): Promise<number[] | null> {
    const client = this.client;
    if (!client) return null;
    const map: Record<string, { qos: 0 | 1 | 2 }> = {};
    for (const f of filters) map[f.topic] = { qos: Math.min(2, Math.max(0, f.qos)) as 0 | 1 | 2 };
    return new Promise((resolve) => {
      client.subscribe(map, (err, granted) => {
        if (granted && granted.length > 0) resolve(granted.map((g) => g.qos));
        else if (err) resolve(filters.map(() => 128));
        else resolve(null);
      });
    });
  }

  async unsubscribe(topics: string[]): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    return new Promise((resolve) => client.unsubscribe(topics, (err) => resolve(!err)));
  }

  async publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): Promise<boolean> {
    const client = this.client;
    if (!client || !client.connected) return false;
    return new Promise((resolve) => client.publish(topic, payload, { qos, retain }, (err) => resolve(!err)));
  }

  /** MQTT DISCONNECT then the socket closes; no 'lost' event. */
  async disconnect(): Promise<void> {
    this.ending = true;
    const client = this.client;
    this.client = null;
    if (client) await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    this.destroySocket();
  }

  /** Close without DISCONNECT; no 'lost' event. */
  close(): void {
    this.ending = true;
    const client = this.client;
    this.client = null;
    client?.end(true);
    this.destroySocket();
  }

  /** Fault injection: the network goes away; 'lost' follows. */
  breakLink(): void {
    this.socket?.destroy();
  }

  private destroySocket(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }

  private onSocketClosed(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    const client = this.client;
    this.client = null;
    client?.end(true);
    if (!this.ending) this.emit('lost');
  }
}
