/**
 * The shape of a modem profile: everything the generic driver needs to know about one
 * module, as plain JSON-compatible data (regexes as source strings), so that a user can
 * describe a related module (BG96, EC25, BC28, ESP32 with ESP-AT) in a JSON file that
 * `extends` a built-in profile. Code only chooses between the few strategies that really
 * differ: `family` picks the family's code once (family.ts), which then follows `attach.kind`
 * and `publish.mode`; command names in answers and URCs come from the patterns here.
 */

/** A table mapping a modem's numeric/text result code to a human-readable meaning. */
export type ResultTable = Record<string, string>;

export interface InitStep {
  /** Name of a template in `commands`. */
  command: string;
  /** Failure is logged in the trace and ignored (e.g. a setting older firmware lacks). */
  optional?: boolean;
  /** Template name to try when this one answers ERROR (e.g. MQTT 3.1.1 → 3.1 on BC26). */
  fallback?: string;
  /** Why the fallback or the failure matters; written to the trace. */
  note?: string;
  /** Per-step timeout override in ms. */
  timeoutMs?: number;
  /**
   * A capability this step switches on. When the step is refused (optional), the driver works
   * without it: `recvLength` = `+QMTRECV` carries a length field (QMTCFG "recv/mode",<idx>,0,1).
   */
  enables?: 'recvLength';
}

export interface IdentityStep {
  command: string;
  /** Information lines to collect ('' = every non-final line the command returns). */
  responsePrefixes: string[];
  /** Field name → regex source with one capture group, tried against each collected line. */
  fields: Partial<Record<'model' | 'firmware' | 'imei' | 'mac', string>>;
}

export interface ProfileLimits {
  /** Longest publish/subscribe topic in UTF-8 bytes. */
  topicBytes: number;
  /** Largest publish payload in bytes the publish mode carries. */
  payloadBytes: number;
  /** Client indexes (inclusive range) that carry independent sessions. */
  clientIndexes: [number, number];
  /** Longest command line in bytes, terminator excluded (ESP-AT: 255). 0 = no limit known. */
  lineBytes: number;
  /** Longest MQTT host name. */
  hostBytes: number;
  /** ESP-AT: longest client id / username / password in MQTTUSERCFG before the LONG* commands are needed. */
  clientIdBytes?: number;
  usernameBytes?: number;
  passwordBytes?: number;
  /** ESP-AT: MQTT buffer that must hold payload plus MQTT header (ESP8266: 512). */
  mqttBufferBytes?: number;
}

export interface PublishSpec {
  /**
   * - `length`: Quectel form B, `AT+QMTPUB=…,"topic",len` → `>` → exactly len bytes.
   * - `ctrlz`: Quectel form A, `>` → bytes → 0x1A.
   * - `raw`: ESP-AT `AT+MQTTPUBRAW`, `OK` then `>` then exactly len bytes.
   */
  mode: 'length' | 'ctrlz' | 'raw';
  /** Byte values this mode cannot carry; payloads containing them are refused before sending. */
  refusedBytes: number[];
  /** Quiet time after `>` before writing (BC26 needs >= 4 ms). */
  delayAfterPromptMs?: number;
}

export interface AttachSpec {
  /**
   * - `cellular-qiact`: CPIN, CSQ, registration, QICSGP, QIACT? then QIACT=1 (EC20 family).
   * - `cellular-cgatt`: CPIN, CSQ, registration, optional QCGDEFCONT, wait for CGATT 1 (BC26 family).
   * - `wifi`: CWMODE=1, CWJAP (ESP-AT).
   */
  kind: 'cellular-qiact' | 'cellular-cgatt' | 'wifi';
  /** Registration queries to poll (template names); registered when any reports stat 1 or 5. */
  registration?: string[];
  /** A CSQ of these raw values means "no signal" and keeps waiting. */
  noSignalCsq?: number[];
  /** Poll interval for SIM / registration / attach queries. */
  pollMs?: number;
}

export interface ModemProfile {
  /** Profile name as users select it (`ec20`, `bc26`, `esp8266`, or a custom one). */
  name: string;
  /** Built-in (or previously loaded) profile this one is based on. */
  extends?: string;
  description?: string;
  /** Selects the family (families.ts): Quectel QMT* two-phase results or ESP-AT finals, attach, downlinks. */
  family: 'quectel' | 'esp';
  /** AT dialect (escaping rule and terminator): `quectel` or `esp`. */
  dialect: 'quectel' | 'esp';
  /** Lines that mean the modem restarted. Strings match whole lines; `/…/` strings are regexes. */
  bootBanners: string[];
  /** Mustache templates by name; every `{{value}}` passes the dialect's escape function. */
  commands: Record<string, string>;
  /** URC patterns (regex sources) by name. */
  urcs: Record<string, string>;
  /**
   * Answer-line patterns of query commands, by template name (`cpin`, `csq`, `cereg`, ...): a
   * regex source anchored with `^` and one capture group (the SIM state, the CSQ, the stat...).
   * Answer lines are collected by the pattern's literal start. A registration query without one
   * reads the 3GPP form `<prefix> <n>,<stat>` with the prefix its template implies.
   */
  responses?: Record<string, string>;
  /** Result-code tables by name (QMTOPEN, QMTCONN, CONNACK, QMTSTAT, CME, CWJAP, ESP ERR CODE...). */
  results: Record<string, ResultTable>;
  limits: ProfileLimits;
  /** Timeouts in ms by command name (`default` for the rest). */
  timeouts: Record<string, number>;
  /** Commands run by `init()` in order (after echo off). */
  init: InitStep[];
  /** Per-client MQTT configuration run before every open (Quectel QMTCFG; lost on reboot). */
  mqttConfig: InitStep[];
  /** How `init()` reads the identity. */
  identity: IdentityStep[];
  attach: AttachSpec;
  publish: PublishSpec;
  /** `+QMTRECV` carries a length field (Quectel recv/mode 0,1); false = last-quote assembly. */
  recvHasLength?: boolean;
  /** ESP-AT: oldest firmware with a usable MQTT command set, as `major.minor`. */
  minFirmware?: string;
  /** Retries after `busy p...` (ESP-AT). */
  busyRetries?: number;
  /** Settle delay after a boot banner before commands are accepted again. */
  settleAfterBootMs?: number;
  /** A boot ROM log received at the wrong baud rate (garbage, `ets Jan  8 2013`, `rst cause:`) means a restart (ESP8266). */
  rebootOnGarbage?: boolean;
  /** The echo of a command after `commands.echoOff` succeeded means the module restarted (echo is on after a reset). */
  echoBackIsRestart?: boolean;
}
