/**
 * The local Huawei IoTDA emulator: a real aedes broker with the platform's device rules and
 * an application side (registry, downlinks, synchronous commands and property requests).
 *
 * Behaviour follows docs/iotda.md; its §1.9 lists what the emulator does where the platform's
 * behaviour is UNCONFIRMED. In short:
 * - unknown device, username ≠ device id, sign-type-1 clock skew → CONNACK 0x04;
 *   frozen device → 0x05; CONNECT with a will → 0x05 (will is "not supported").
 * - sign type 1 tolerance ±1 h (configurable); sign type 0 accepts any 10-digit timestamp, hour 24 too.
 * - topics: own `$oc` system topics, declared `$oc/.../user/` topics and free topics not starting
 *   with `$` (the default device policy) are allowed (topic-policy.ts); any other SUBSCRIBE, or one
 *   beyond 50 per connection, gets SUBACK 0x80; QoS 2 subscriptions are granted QoS 1.
 * - a PUBLISH the policy refuses, or with the retain flag, is acknowledged, then dropped and logged.
 * - a PUBLISH at QoS 2 or over 1 MB closes the connection (logged, event 'publish-refused').
 * - sessions are always treated as clean; request ids are v4 UUIDs; commands and property
 *   requests time out after 20 s (configurable) and late replies are logged and dropped.
 * - messages to an offline device are cached (20 per device) and delivered on its next connect.
 * - uplinks beyond 50 messages or 1 MB per second and connection are logged and dropped
 *   (the platform's reaction is UNCONFIRMED); configurable, 0 turns the limit off.
 * - the device shows offline at once after a drop (the real console lags about a minute).
 * - downlinks to this directly connected device carry no `object_device_id`.
 * - unacknowledged QoS 1 downlinks are resent as the platform documents (downlink-resender.ts).
 * Not emulated: downlinks to gateway sub-devices, OTA downloads, MQTT 5, persistent sessions.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Aedes, type Client, type PublishPacket, type Subscription } from 'aedes';
import { IotdaTopics, formatEventTime, parseClientId, parseUplinkTopic, type UplinkKind } from './wire-format';
import { DeviceRegistry, type DeviceSpec, type DeviceView } from './device-registry';
import { decideConnect } from './connect-rules';
import { topicMatchesFilter } from './topic-filter';
import { generateTestCertificates } from './test-certificates';
import { DownlinkResender, PLATFORM_RESEND_TIMING, type ResendTiming } from './downlink-resender';
import { encodePublish } from './publish-packet';
import { checkPublish, checkSubscribe, type TopicPolicyContext } from './topic-policy';
import { ClientRecords, type ClientRecord } from './client-record';

export interface IotdaEmulatorOptions {
  host?: string;
  mqttPort?: number;
  /** HTTP API and console; 0 = random port. */
  httpPort?: number;
  /** When set, every HTTP API request must carry it as `Authorization: Bearer <token>` (http-access.ts). */
  httpToken?: string;
  /** MQTTS listener with a generated CA; undefined = no TLS. */
  tlsPort?: number;
  devices?: DeviceSpec[];
  devicesFile?: string;
  commandTimeoutMs?: number;
  /** Sign type 1: seconds after the turn of an hour the previous hour still passes (connect-rules.ts; default 5000 ms). */
  signType1GraceMs?: number;
  /** The emulator's own UTC clock in ms for the sign type 1 check (default Date.now). */
  clock?: () => number;
  /** Uplink messages per second and connection before drops (§1.3; default 50, 0 = no limit). */
  uplinkMessagesPerSecond?: number;
  /** Uplink bytes per second and connection before drops (default 1 MB, 0 = no limit). */
  uplinkBytesPerSecond?: number;
  /** Resends of unacknowledged QoS 1 downlinks (docs/iotda.md §1.7); defaults as the platform documents. */
  downlinkResend?: Partial<ResendTiming>;
  /** How long a message stays cached for delivery (platform: at most 24 h). */
  messageCacheMs?: number;
  log?: (line: string) => void;
}

export type RequestStatus = 'ok' | 'timeout' | 'offline';

export interface RequestResult<T = unknown> {
  requestId: string;
  status: RequestStatus;
  response?: T;
  durationMs: number;
}

export interface CommandRequestBody {
  service_id?: string;
  command_name?: string;
  paras: Record<string, unknown>;
}

export interface EmulatorEvent {
  type: string;
  deviceId?: string;
  time: string;
  [key: string]: unknown;
}

type PendingKind = 'command-response' | 'property-set-response' | 'property-get-response';

interface Pending {
  deviceId: string;
  kind: PendingKind;
  topic: string;
  started: number;
  timer: NodeJS.Timeout;
  resolve: (r: RequestResult) => void;
}

const DROP_PREFIX = '$iotda-emulator/dropped/';
const MAX_PUBLISH_BYTES = 1024 * 1024;
const MAX_SUBSCRIPTIONS = 50;
const MAX_CACHED_MESSAGES = 20;
const MESSAGE_CACHE_MS = 24 * 3_600_000;

export class IotdaEmulator extends EventEmitter {
  mqttPort = 0;
  httpPort = 0;
  tlsPort: number | undefined;
  caCertPem: string | undefined;
  caCertPath: string | undefined;
  /** URL of the HTTP API and console (set once the HTTP server listens). */
  url = '';
  mqttUrl = '';

  readonly registry: DeviceRegistry;
  readonly host: string;
  readonly commandTimeoutMs: number;
  private readonly signType1GraceMs: number;
  private readonly logLine: (line: string) => void;
  private broker!: Aedes;
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  /** Per connection: CONNECT facts, device, subscriptions, uplink window, CONNACK state (client-record.ts). */
  private readonly clients = new ClientRecords();
  private readonly clientOfDevice = new Map<string, Client>();
  private readonly pending = new Map<string, Pending>();
  private readonly uplinkMessagesPerSecond: number;
  private readonly uplinkBytesPerSecond: number;
  private connectFaults: { returnCode: 3 | 5; remaining: number } | undefined;
  private readonly cachedMessages = new Map<string, Buffer[]>();
  private readonly resender: DownlinkResender<Client>;
  private readonly messageCacheMs: number;

  constructor(private readonly opts: IotdaEmulatorOptions = {}) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 20_000;
    this.signType1GraceMs = opts.signType1GraceMs ?? 5000;
    this.uplinkMessagesPerSecond = opts.uplinkMessagesPerSecond ?? 50;
    this.uplinkBytesPerSecond = opts.uplinkBytesPerSecond ?? MAX_PUBLISH_BYTES;
    this.logLine = opts.log ?? (() => undefined);
    this.registry = new DeviceRegistry(opts.devicesFile);
    this.messageCacheMs = opts.messageCacheMs ?? MESSAGE_CACHE_MS;
    this.resender = new DownlinkResender<Client>(
      {
        qos1Connection: (deviceId, topic) => {
          const client = this.clientOfDevice.get(deviceId);
          return client && this.clients.of(client).acknowledged && this.grantedQos(client, topic) === 1 ? client : undefined;
        },
        isLive: (client) => isWritable(client),
        nextPacketId: (client) => nextPacketId(client),
        writeQos1: (client, topic, payload, messageId, dup) => this.writePublish(client, { topic, payload, qos: 1, dup, messageId }),
        log: (line) => this.log(line),
        event: (type, deviceId, data) => this.emitEvent(type, deviceId, data),
      },
      { ...PLATFORM_RESEND_TIMING, ...opts.downlinkResend },
    );
  }

  /** Starts the broker and listeners; called by startIotdaEmulator. */
  async start(): Promise<this> {
    this.registry.load();
    for (const d of this.opts.devices ?? []) this.registry.add(d, false);
    this.broker = await Aedes.createBroker({
      // MQTT 3.1 (BC26) caps ClientIds at 23 chars by default; IoTDA allows 256.
      maxClientsIdLength: 256,
      // §1.8: CONNECT must follow the TCP open within seconds (emu: 10 s).
      connectTimeout: 10_000,
      preConnect: (client, packet, cb) => {
        this.clients.of(client).connect = { keepalive: packet.keepalive ?? 0, hasWill: Boolean(packet.will) };
        cb(null, true);
      },
      authenticate: (client, username, password, cb) => this.authenticate(client, username, password, cb),
      authorizePublish: (client, packet, cb) => this.authorizePublish(client, packet, cb),
      authorizeSubscribe: (client, sub, cb) => this.authorizeSubscribe(client, sub, cb),
    });
    // 'client' fires before the CONNACK is written, so the device is online (and the older link
    // gone) by the time the device can act on its CONNACK; cached messages wait for 'clientReady'.
    this.broker.on('client', (c) => this.onClientRegistered(c));
    this.broker.on('connackSent', (packet, c) => {
      if (packet.returnCode === 0) {
        const record = this.clients.of(c);
        record.acknowledged = true;
        for (const send of record.awaitingConnack) send();
        record.awaitingConnack = [];
        this.flushCachedMessages(c);
        if (record.deviceId) this.resender.resume(record.deviceId);
      }
    });
    this.broker.on('subscribe', (_subs, c) => {
      const deviceId = this.clients.of(c).deviceId;
      if (deviceId) this.resender.resume(deviceId);
    });
    this.broker.on('clientDisconnect', (c) => this.onClientGone(c));
    this.broker.on('unsubscribe', (topics, c) => topics.forEach((t) => this.clients.of(c).subscriptions.delete(t)));
    this.broker.on('publish', (packet, c) => {
      if (c && !packet.topic.startsWith(DROP_PREFIX)) this.onUplink(c, packet);
    });

    const mqttServer = net.createServer((s) => this.handle(s));
    this.mqttPort = await this.listen(mqttServer, this.opts.mqttPort ?? 0);
    this.mqttUrl = `mqtt://${this.host}:${this.mqttPort}`;
    if (this.opts.tlsPort !== undefined) {
      const certs = await generateTestCertificates(this.host);
      this.caCertPem = certs.caCertPem;
      this.caCertPath = certs.caCertPath;
      const tlsServer = tls.createServer({ key: certs.serverKeyPem, cert: certs.serverCertPem }, (s) => this.handle(s));
      this.tlsPort = await this.listen(tlsServer, this.opts.tlsPort);
      this.log(`TLS on ${this.host}:${this.tlsPort}, CA certificate at ${certs.caCertPath}`);
    }
    this.log(`MQTT on ${this.mqttUrl}`);
    return this;
  }

  /**
   * Hands a connection to aedes. aedes fixes the granted QoS from the SUBSCRIBE packet before
   * authorizeSubscribe runs, so the QoS 2 → 1 downgrade (§1.5) rewrites the packet as parsed.
   * The same listener sees each PUBACK for the downlinks the emulator resends.
   * `_parser` is aedes-internal (lib/client.js); checked here so an aedes change fails loudly.
   */
  private handle(stream: net.Socket): void {
    const client = this.broker.handle(stream) as Client & { _parser?: EventEmitter };
    const record = this.clients.open(client);
    if (!client._parser) throw new Error('aedes internals changed: client._parser missing');
    client._parser.prependListener('packet', (packet: { cmd: string; messageId?: number; subscriptions?: { qos: number }[] }) => {
      if (packet.cmd === 'subscribe') {
        for (const sub of packet.subscriptions ?? []) sub.qos = Math.min(sub.qos, 1);
      } else if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        if (record.deviceId) this.resender.puback(record.deviceId, client, packet.messageId);
      }
    });
  }

  /** Binds a server and tracks its sockets so close() never waits for idle clients. */
  async listen(server: net.Server, port: number): Promise<number> {
    server.on('connection', (s: net.Socket) => {
      // Small PUBLISHes must not wait for the device's delayed ACK (Nagle), or resend timing blurs.
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('secureConnection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.servers.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  log(line: string): void {
    this.logLine(line);
  }

  private emitEvent(type: string, deviceId: string | undefined, data: Record<string, unknown> = {}): void {
    const event: EmulatorEvent = { type, deviceId, time: new Date().toISOString(), ...data };
    this.emit(type, event);
    this.emit('event', event);
  }

  /** Subscribes to every emulator event; returns the unsubscribe function. */
  onEvent(listener: (e: EmulatorEvent) => void): () => void {
    this.on('event', listener);
    return () => this.off('event', listener);
  }

  // ---- MQTT side -----------------------------------------------------------------------

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    cb: (err: (Error & { returnCode: number }) | null, ok: boolean | null) => void,
  ): void {
    const record = this.clients.of(client);
    const facts = record.connect ?? { keepalive: 0, hasWill: false };
    if (this.connectFaults && this.connectFaults.remaining > 0) {
      this.connectFaults.remaining--;
      const returnCode = this.connectFaults.returnCode;
      this.log(`CONNECT ${client.id} refused with ${returnCode}: injected fault`);
      this.emitEvent('connect-refused', parseClientId(client.id)?.deviceId, { returnCode, reason: 'injected fault' });
      cb(Object.assign(new Error('injected fault'), { returnCode }), null);
      return;
    }
    const decision = decideConnect(
      { clientId: client.id, username, password, ...facts },
      {
        secretOf: (id) => this.registry.secretOf(id),
        isFrozen: (id) => this.registry.isFrozen(id),
        now: (this.opts.clock ?? Date.now)(),
        signType1GraceMs: this.signType1GraceMs,
      },
    );
    if (decision.returnCode === 0) {
      record.deviceId = decision.deviceId!;
      record.namespace = IotdaTopics.namespace(decision.deviceId!);
      cb(null, true);
      return;
    }
    this.log(`CONNECT ${client.id} refused with ${decision.returnCode}: ${decision.reason}`);
    this.emitEvent('connect-refused', decision.deviceId, { returnCode: decision.returnCode, reason: decision.reason });
    const err = Object.assign(new Error(decision.reason), { returnCode: decision.returnCode });
    cb(err, null);
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, cb: (err?: Error | null) => void): void {
    if (!client) return cb(null);
    const record = this.clients.of(client);
    const deviceId = record.deviceId;
    const payload = packet.payload as Buffer | string | undefined;
    const size = payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (size > MAX_PUBLISH_BYTES) {
      this.log(`${deviceId}: PUBLISH of ${size} bytes exceeds 1 MB, closing`);
      return cb(new Error('publish too large'));
    }
    if (packet.qos === 2) {
      // QoS 2 is not supported; MQTT 3.1.1 has no negative PUBACK, so the refusal is a close.
      this.log(`${deviceId}: PUBLISH to ${packet.topic} at QoS 2 refused (QoS 0 and 1 only), closing`);
      this.emitEvent('publish-refused', deviceId, { topic: packet.topic, reason: 'QoS 2 is not supported' });
      return cb(new Error('QoS 2 is not supported'));
    }
    const policy = this.policyOf(client);
    const verdict = policy ? checkPublish(packet.topic, policy) : { allowed: false as const, reason: 'not connected' };
    const overLimit = this.overUplinkLimit(record, size);
    if (!verdict.allowed || packet.retain || overLimit) {
      const reason = packet.retain ? 'retain is not supported' : !verdict.allowed ? verdict.reason : 'uplink rate limit exceeded';
      const window = record.uplink;
      // A flood would otherwise log every message; rate drops are reported once per window.
      const quiet = verdict.allowed && !packet.retain && window !== undefined && window.warned;
      if (window && reason === 'uplink rate limit exceeded') window.warned = true;
      if (!quiet) {
        this.log(`${deviceId}: PUBLISH to ${packet.topic} acknowledged and dropped (${reason})`);
        this.emitEvent('dropped', deviceId, { topic: packet.topic, reason });
      }
      // Rerouting to a topic nobody can subscribe to keeps aedes' PUBACK and drops the data.
      packet.topic = DROP_PREFIX + (deviceId ?? 'unknown');
      packet.retain = false;
    }
    cb(null);
  }

  /** Fixed one-second windows per connection; the first drop in a window is reported. */
  private overUplinkLimit(record: ClientRecord, size: number): boolean {
    if (this.uplinkMessagesPerSecond <= 0 && this.uplinkBytesPerSecond <= 0) return false;
    const now = Date.now();
    let w = record.uplink;
    if (!w || now - w.start >= 1000) {
      w = { start: now, messages: 0, bytes: 0, warned: false };
      record.uplink = w;
    }
    w.messages++;
    w.bytes += size;
    return (
      (this.uplinkMessagesPerSecond > 0 && w.messages > this.uplinkMessagesPerSecond) ||
      (this.uplinkBytesPerSecond > 0 && w.bytes > this.uplinkBytesPerSecond)
    );
  }

  private authorizeSubscribe(client: Client, sub: Subscription, cb: (err: Error | null, sub?: Subscription | null) => void): void {
    const { deviceId, subscriptions: subs } = this.clients.of(client);
    const policy = this.policyOf(client);
    const verdict = policy ? checkSubscribe(sub.topic, policy) : { allowed: false as const, reason: 'not connected' };
    const full = !subs.has(sub.topic) && subs.size >= MAX_SUBSCRIPTIONS;
    if (!verdict.allowed || full) {
      const reason = !verdict.allowed ? verdict.reason : `more than ${MAX_SUBSCRIPTIONS} subscriptions`;
      this.log(`${deviceId}: SUBSCRIBE ${sub.topic} refused (0x80): ${reason}`);
      this.emitEvent('subscribe-refused', deviceId, { topic: sub.topic, reason });
      return cb(null, null);
    }
    const qos = Math.min(sub.qos, 1) as 0 | 1;
    subs.set(sub.topic, qos);
    cb(null, { ...sub, qos });
  }

  private policyOf(client: Client): TopicPolicyContext | undefined {
    const { deviceId, namespace } = this.clients.of(client);
    if (deviceId === undefined || namespace === undefined) return undefined;
    return { namespace, customTopics: this.registry.customTopicsOf(deviceId) };
  }

  private onClientRegistered(client: Client): void {
    const deviceId = this.clients.of(client).deviceId ?? parseClientId(client.id)?.deviceId;
    if (!deviceId) return;
    const older = this.clientOfDevice.get(deviceId);
    this.clientOfDevice.set(deviceId, client);
    if (older && older !== client) {
      // §1.8: the newest connection wins; ClientIds differ per hour, so aedes' own takeover misses this.
      this.log(`${deviceId}: new connection ${client.id} replaces ${older.id}`);
      this.emitEvent('kicked', deviceId, { clientId: older.id });
      older.close();
    }
    this.registry.setOnline(deviceId, true);
    this.log(`${deviceId}: online as ${client.id}`);
    this.emitEvent('online', deviceId, { clientId: client.id });
  }

  private flushCachedMessages(client: Client): void {
    const deviceId = this.clients.of(client).deviceId;
    if (!deviceId || this.clientOfDevice.get(deviceId) !== client) return;
    const cached = this.cachedMessages.get(deviceId);
    if (cached) {
      this.cachedMessages.delete(deviceId);
      for (const payload of cached) this.deliver(deviceId, IotdaTopics.messagesDown(deviceId), payload);
    }
  }

  private onClientGone(client: Client): void {
    this.resender.closed(client);
    const deviceId = this.clients.of(client).deviceId;
    if (!deviceId || this.clientOfDevice.get(deviceId) !== client) return;
    this.clientOfDevice.delete(deviceId);
    this.registry.setOnline(deviceId, false);
    this.log(`${deviceId}: offline`);
    this.emitEvent('offline', deviceId, { clientId: client.id });
  }

  /**
   * §1.5: devices get system downlinks without subscribing, at QoS 0; a matching explicit
   * subscription gets the single delivery through the broker at min(granted, 1).
   */
  private deliver(deviceId: string, topic: string, payload: Buffer, keepMs?: number): boolean {
    const client = this.clientOfDevice.get(deviceId);
    if (!client) return false;
    const record = this.clients.of(client);
    if (!record.acknowledged) {
      // A PUBLISH must never overtake the CONNACK.
      record.awaitingConnack.push(() => this.deliver(deviceId, topic, payload, keepMs));
      return true;
    }
    if (this.grantedQos(client, topic) === 1) {
      this.resender.send(deviceId, client, topic, payload, keepMs ?? this.messageCacheMs);
    } else {
      this.writePublish(client, { topic, payload, qos: 0, dup: false });
    }
    return true;
  }

  /** The highest QoS granted to a subscription matching `topic`; 0 = only the implicit one. */
  private grantedQos(client: Client, topic: string): 0 | 1 {
    for (const [filter, qos] of this.clients.of(client).subscriptions) {
      if (qos === 1 && topicMatchesFilter(filter, topic)) return 1;
    }
    return 0;
  }

  /** Emulator downlinks bypass aedes' routing: a resend must keep its packet id (publish-packet.ts). */
  private writePublish(client: Client, fields: Parameters<typeof encodePublish>[0]): void {
    if (!isWritable(client)) return;
    client.conn.write(encodePublish(fields));
  }

  private onUplink(client: Client, packet: PublishPacket): void {
    const deviceId = this.clients.of(client).deviceId;
    if (!deviceId) return;
    const recvTime = Date.now();
    const topic = parseUplinkTopic(packet.topic);
    const raw = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload ?? '');
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    this.registry.record(deviceId, { direction: 'up', kind: topic.kind, topic: packet.topic, payload: body ?? text });
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    const needJson = (): boolean => {
      if (isObj(body)) return true;
      this.log(`${deviceId}: ${topic.kind} payload is not a JSON object, dropped: ${text.slice(0, 80)}`);
      this.emitEvent('bad-payload', deviceId, { topic: packet.topic });
      return false;
    };
    switch (topic.kind as UplinkKind) {
      case 'properties-report': {
        if (!needJson()) return;
        const services = (body as { services?: unknown }).services;
        if (!Array.isArray(services)) return void this.log(`${deviceId}: report without services dropped`);
        for (const s of services) {
          if (isObj(s) && typeof s.service_id === 'string' && isObj(s.properties)) {
            this.registry.updateProperties(deviceId, s.service_id, s.properties, typeof s.event_time === 'string' ? s.event_time : undefined);
          }
        }
        this.emitEvent('report', deviceId, { services });
        return;
      }
      case 'gateway-report': {
        if (!needJson()) return;
        const devices = (body as { devices?: unknown }).devices;
        for (const d of Array.isArray(devices) ? devices : []) {
          if (!isObj(d) || typeof d.device_id !== 'string' || !Array.isArray(d.services)) continue;
          for (const s of d.services) {
            if (isObj(s) && typeof s.service_id === 'string' && isObj(s.properties)) {
              this.registry.updateProperties(d.device_id, s.service_id, s.properties);
            }
          }
        }
        this.emitEvent('report', deviceId, { gateway: true, devices });
        return;
      }
      case 'message-up':
        this.emitEvent('message-up', deviceId, { payload: body ?? text });
        return;
      case 'command-response':
      case 'property-set-response':
      case 'property-get-response':
        this.settle(deviceId, topic.kind as PendingKind, topic.requestId!, body ?? text);
        return;
      case 'shadow-get':
        if (!needJson()) return;
        this.answerShadow(deviceId, topic.requestId!, body as Record<string, unknown>);
        return;
      case 'event-up':
        if (!needJson()) return;
        this.onEventUp(deviceId, body as Record<string, unknown>, recvTime);
        return;
      case 'custom':
        this.emitEvent('custom-up', deviceId, { topic: packet.topic, payload: body ?? text });
        return;
      default:
        if (!packet.topic.startsWith('$')) {
          // A free custom topic: routed to its subscribers by MQTT rules, nothing for the platform to parse.
          this.emitEvent('custom-up', deviceId, { topic: packet.topic, payload: body ?? text });
          return;
        }
        this.log(`${deviceId}: PUBLISH to unknown system topic ${packet.topic} ignored`);
    }
  }

  private settle(deviceId: string, kind: PendingKind, requestId: string, response: unknown): void {
    const p = this.pending.get(requestId);
    if (!p || p.deviceId !== deviceId || p.kind !== kind) {
      this.log(`${deviceId}: late or unknown ${kind} for request ${requestId} logged and dropped`);
      this.emitEvent('late-reply', deviceId, { kind, requestId, response });
      return;
    }
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    // An answer proves the request arrived, whatever happened to its PUBACK.
    this.resender.forget(deviceId, p.topic);
    this.emitEvent(kind, deviceId, { requestId, response });
    p.resolve({ requestId, status: 'ok', response, durationMs: Date.now() - p.started });
  }

  private answerShadow(deviceId: string, requestId: string, req: Record<string, unknown>): void {
    const device = this.registry.get(deviceId);
    const wanted = typeof req.service_id === 'string' ? req.service_id : undefined;
    const shadow = Object.entries(device?.properties ?? {})
      .filter(([sid]) => !wanted || sid === wanted)
      .map(([sid, st]) => ({
        service_id: sid,
        // Nothing sets a desired state in the emulator, so it stays empty and has no time.
        desired: { properties: {} },
        reported: { properties: st.properties, event_time: shadowTime(st.event_time) },
        version: st.version,
      }));
    this.send(deviceId, IotdaTopics.shadowGetResponse(deviceId, requestId), 'shadow-response', { shadow });
  }

  private onEventUp(deviceId: string, body: Record<string, unknown>, recvTime: number): void {
    const services = Array.isArray(body.services) ? (body.services as Record<string, unknown>[]) : [];
    this.emitEvent('event-up', deviceId, { services });
    for (const s of services) {
      const paras = (s.paras ?? {}) as Record<string, unknown>;
      if (s.service_id === '$time_sync' && s.event_type === 'time_sync_request') {
        this.sendEvent(deviceId, [
          {
            service_id: '$time_sync',
            event_type: 'time_sync_response',
            event_time: formatEventTime(new Date()),
            paras: { device_send_time: paras.device_send_time, server_recv_time: recvTime, server_send_time: Date.now() },
          },
        ]);
      } else if (s.service_id === '$sub_device_manager' && s.event_type === 'sub_device_update_status') {
        // The response body is UNCONFIRMED; emulator form per docs/iotda.md §1.6.
        const statuses = Array.isArray(paras.device_statuses) ? (paras.device_statuses as { device_id: string }[]) : [];
        this.sendEvent(deviceId, [
          {
            service_id: '$sub_device_manager',
            event_type: 'sub_device_update_status_response',
            paras: { successful_devices: statuses.map((d) => ({ device_id: d.device_id })), failed_devices: [] },
          },
        ]);
      }
    }
  }

  private send(deviceId: string, topic: string, kind: string, body: unknown, keepMs?: number): boolean {
    const payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const delivered = this.deliver(deviceId, topic, payload, keepMs);
    if (delivered) this.registry.record(deviceId, { direction: 'down', kind, topic, payload: body });
    return delivered;
  }

  private request(deviceId: string, kind: PendingKind, topicOf: (id: string) => string, body: unknown, timeoutMs?: number): Promise<RequestResult> {
    this.mustKnow(deviceId);
    const requestId = randomUUID();
    const started = Date.now();
    if (!this.isReachable(deviceId)) {
      return Promise.resolve({ requestId, status: 'offline', durationMs: 0 });
    }
    const topic = topicOf(requestId);
    const waitMs = timeoutMs ?? this.commandTimeoutMs;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        this.resender.forget(deviceId, topic);
        this.log(`${deviceId}: ${kind} for ${requestId} timed out`);
        this.emitEvent('timeout', deviceId, { kind, requestId });
        resolve({ requestId, status: 'timeout', durationMs: Date.now() - started });
      }, waitMs);
      this.pending.set(requestId, { deviceId, kind, topic, started, timer, resolve });
      this.send(deviceId, topic, kind.replace('-response', ''), body, waitMs);
    });
  }

  private isReachable(deviceId: string): boolean {
    return this.clientOfDevice.has(deviceId);
  }

  private mustKnow(deviceId: string): void {
    if (!this.registry.has(deviceId)) throw new Error(`unknown device ${deviceId}`);
  }

  // ---- application side ---------------------------------------------------------------

  /** QoS 1 downlinks of the device that still await a PUBACK (sends so far, resend phase). */
  unacknowledgedDownlinks(deviceId: string): { topic: string; sends: number; phase: string }[] {
    return this.resender.unacknowledged(deviceId);
  }

  /** Loses the device's next `count` PUBACKs on their way to the platform, so QoS 1 downlinks are resent. */
  injectLostPubacks(deviceId: string, count = 1): void {
    this.resender.losePubacks(deviceId, count);
  }

  /** Refuses the next `times` CONNECTs with `returnCode` (3 server unavailable, 5 not authorised). */
  injectConnectFault(returnCode: 3 | 5 = 3, times = 1): void {
    this.connectFaults = { returnCode, remaining: times };
  }

  addDevice(spec: DeviceSpec): DeviceView {
    const view = this.registry.add(spec);
    this.emitEvent('device-added', spec.deviceId);
    return view;
  }

  /** Removing a device also drops its live connection, as deleting it in the platform's console does. */
  removeDevice(deviceId: string): boolean {
    const removed = this.registry.remove(deviceId);
    if (removed) {
      this.clientOfDevice.get(deviceId)?.close();
      this.emitEvent('device-removed', deviceId);
    }
    return removed;
  }

  listDevices(): DeviceView[] {
    return this.registry.list();
  }

  getDevice(deviceId: string): DeviceView | undefined {
    return this.registry.get(deviceId);
  }

  /** Freezing also drops the live connection, as a console freeze does. */
  freezeDevice(deviceId: string, frozen = true): void {
    this.registry.setFrozen(deviceId, frozen);
    if (frozen) this.clientOfDevice.get(deviceId)?.close();
  }

  /** T2; the standard form wraps the content. Cached (20) while the device is offline. */
  sendMessage(deviceId: string, content: unknown, opts: { raw?: boolean; name?: string } = {}): { id: string; delivered: boolean } {
    this.mustKnow(deviceId);
    const id = randomUUID();
    const body = opts.raw ? content : { name: opts.name ?? null, id, content };
    const delivered = this.send(deviceId, IotdaTopics.messagesDown(deviceId), 'message', body);
    if (!delivered) {
      const queue = this.cachedMessages.get(deviceId) ?? [];
      queue.push(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
      if (queue.length > MAX_CACHED_MESSAGES) queue.shift();
      this.cachedMessages.set(deviceId, queue);
    }
    this.emitEvent('message-down', deviceId, { id, delivered });
    return { id, delivered };
  }

  sendCommand(deviceId: string, command: CommandRequestBody, opts: { timeoutMs?: number } = {}): Promise<RequestResult> {
    const body = { ...command, paras: command.paras ?? {} };
    return this.request(deviceId, 'command-response', (r) => IotdaTopics.command(deviceId, r), body, opts.timeoutMs);
  }

  setProperties(
    deviceId: string,
    services: { service_id: string; properties: Record<string, unknown> }[],
    opts: { timeoutMs?: number } = {},
  ): Promise<RequestResult> {
    const body = { services };
    return this.request(deviceId, 'property-set-response', (r) => IotdaTopics.propertiesSet(deviceId, r), body, opts.timeoutMs);
  }

  getProperties(deviceId: string, serviceId?: string, opts: { timeoutMs?: number } = {}): Promise<RequestResult> {
    const body: Record<string, unknown> = {};
    if (serviceId) body.service_id = serviceId;
    return this.request(deviceId, 'property-get-response', (r) => IotdaTopics.propertiesGet(deviceId, r), body, opts.timeoutMs);
  }

  /** T14 event envelope (OTA etc.). */
  sendEvent(deviceId: string, services: Record<string, unknown>[]): boolean {
    return this.send(deviceId, IotdaTopics.eventsDown(deviceId), 'event', { services });
  }

  /** Closes listeners, live connections, the broker and pending requests (resolved as timeouts). */
  async close(): Promise<void> {
    this.resender.close();
    for (const [requestId, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ requestId, status: 'timeout', durationMs: Date.now() - p.started });
    }
    this.pending.clear();
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.sockets) s.destroy();
    if (this.broker) await new Promise<void>((r) => this.broker.close(() => r()));
    await Promise.all(closing);
  }
}

/**
 * A packet id from aedes' own per-client counter (lib/qos-packet.js), so the emulator's
 * downlinks and the ones aedes routes between clients never share an id on one connection.
 */
function nextPacketId(client: Client): number {
  const c = client as Client & { _nextId?: number };
  if (typeof c._nextId !== 'number') throw new Error('aedes internals changed: client._nextId missing');
  const id = c._nextId;
  c._nextId = id >= 65535 ? 1 : id + 1;
  return id;
}

/** As aedes' own writer decides (lib/write.js): at 'connackSent' a client is still `connecting`. */
function isWritable(client: Client): boolean {
  return !client.closed && (client.connecting || client.connected);
}

/** Shadow times are `yyyyMMdd'T'HHmmss'Z'` (docs/iotda.md §1.6); reports may carry the long form. */
function shadowTime(stored: string): string {
  if (/^\d{8}T\d{6}Z$/.test(stored)) return stored;
  const at = new Date(stored);
  return Number.isNaN(at.getTime()) ? stored : formatEventTime(at);
}
