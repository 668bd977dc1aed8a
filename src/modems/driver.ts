import { EventEmitter } from 'node:events';
import type { TlsSetting } from './tls-options';
import type { NetworkTimeOptions, NetworkTimeReading } from './network-time';

export type ModemModel = 'ec20' | 'bc26' | 'esp8266' | (string & {});

export interface ModemIdentity {
  model: string;
  firmware: string;
  /** IMEI for cellular modules, station MAC for Wi-Fi modules. */
  imei?: string;
  mac?: string;
}

export interface AttachOptions {
  /** Cellular: access point name (empty = network default). */
  apn?: string;
  apnUser?: string;
  apnPassword?: string;
  /** Wi-Fi (ESP-AT). */
  wifiSsid?: string;
  wifiPassword?: string;
  /** Overall deadline for SIM ready + registration + PDP, or Wi-Fi join. */
  timeoutMs?: number;
  /** Reports progress steps for status displays: 'sim', 'network', 'pdp', 'wifi'. */
  onStep?: (step: string) => void;
}

export interface SignalQuality {
  /** Raw value as the modem reports it: CSQ 0-31/99, or RSSI dBm for Wi-Fi. */
  raw: number;
  /** dBm when known. */
  dbm?: number;
  /** 0-100 for status text. */
  percent?: number;
}

export interface MqttConnectOptions {
  clientId: string;
  username: string;
  password: string;
  keepalive: number;
  cleanSession: boolean;
}

/**
 * One MQTT session slot on a modem (Quectel client index 0-5; ESP-AT LinkID 0).
 * Results are checked, not assumed: a method resolves only when the modem
 * reports success (the result URC for Quectel, the final for ESP-AT).
 *
 * Events:
 * - `message` (topic: string, payload: Buffer)
 * - `linkDown` (reason: string): the MQTT session is gone (+QMTSTAT, +MQTTDISCONNECTED, ...).
 */
export interface MqttSession extends EventEmitter {
  readonly clientIndex: number;
  open(host: string, port: number, tls: TlsSetting): Promise<void>;
  connect(opts: MqttConnectOptions): Promise<void>;
  subscribe(topic: string, qos: 0 | 1): Promise<number /* granted qos */>;
  unsubscribe(topic: string): Promise<void>;
  /** Resolves when the modem confirms: the result URC for QoS 1, the send for QoS 0. */
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  disconnect(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What one publish may carry on a modem model: known from the profile alone, so a report too
 * large for the model can be refused before it is queued, with the modem up or not.
 */
export interface PublishLimits {
  readonly model: ModemModel;
  /** Largest payload in bytes (for the shortest topic; ESP-AT's MQTT buffer also holds the topic). */
  readonly maxPayloadBytes: number;
  /** Longest topic in UTF-8 bytes. */
  readonly topicBytes: number;
  /** Throws PayloadRejectedError when this model's publish mode cannot carry the payload on the topic. */
  check(topic: string, payload: Buffer, qos: 0 | 1): void;
}

/**
 * The driver for one modem on one transport. Generic over profiles.
 *
 * Events:
 * - `message` (clientIndex: number, topic: string, payload: Buffer)
 * - `linkDown` (clientIndex: number, reason: string)
 * - `reboot` (): the modem restarted; every session and the network attach are lost.
 * - `closed` (reason?: Error): the transport is gone.
 */
export interface ModemDriver extends EventEmitter {
  readonly model: ModemModel;
  init(): Promise<ModemIdentity>;
  attachNetwork(opts: AttachOptions): Promise<void>;
  signal(): Promise<SignalQuality>;
  /** A session object for a client index (created on first use, same object afterwards). */
  session(clientIndex: number): MqttSession;
  /** Convenience forms on client index 0, as in the interface. */
  open(host: string, port: number, tls: TlsSetting): Promise<void>;
  connect(clientId: string, username: string, password: string, keepalive: number, cleanSession: boolean): Promise<void>;
  subscribe(topic: string, qos: 0 | 1): Promise<number>;
  unsubscribe(topic: string): Promise<void>;
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  disconnect(): Promise<void>;
  close(): Promise<void>;
  /** Largest payload this model/publish mode accepts, in bytes. */
  readonly maxPayloadBytes: number;
  /** Throws a clear error when the payload cannot be carried by this model's publish mode. */
  checkPayload(topic: string, payload: Buffer): void;
  /** The model's publish limits (optional for drivers written before it). */
  readonly publishLimits?: PublishLimits;
  /**
   * Registers a value to replace with `***` in AT traces and errors from now on (a device secret,
   * an HMAC password). Optional for drivers written before it; a driver that traces should have it.
   */
  addSecret?(secret: string): void;
  /**
   * The time the network gives the module (NITZ, SNTP), read after the attach; a reading without
   * `utcMs` when the module has none. Optional: a driver or profile without a network clock.
   */
  networkTime?(opts: NetworkTimeOptions): Promise<NetworkTimeReading>;
}
