/**
 * ESP8266 firmware generations the emulator can pretend to be (docs/models/esp8266.md
 * "Supported firmware"). The generation decides which MQTT commands exist, how long a topic and
 * each MQTTUSERCFG field may be; `AT+GMR` names it.
 */

export type EspFirmware = '1.7.4.0' | '2.1.0.0' | '2.2.0.0' | '2.2.1.0' | '2.2.2.0' | '2.3.0.0';

export interface EspFirmwareTraits {
  /** MQTT AT commands exist at all (NonOS 1.x and 2.0 have none). */
  mqtt: boolean;
  /**
   * AT+MQTTLONGCLIENTID / LONGUSERNAME / LONGPASSWORD exist: from 2.2.2.0 on (the command names
   * first appear in the v2.2.2.0_esp8266 release library and its MQTT manual).
   */
  longCommands: boolean;
  /** Longest MQTT topic in bytes. */
  topicBytes: number;
  /** Longest client id, username and password AT+MQTTUSERCFG accepts. */
  userCfgBytes: { clientId: number; username: number; password: number };
  /** NonOS firmware ends a failed CWJAP with FAIL instead of ERROR. */
  cwjapFailFinal: 'ERROR' | 'FAIL';
  /**
   * `ALREADY SUBSCRIBE` goes to the log UART (not the AT port) in this generation, so the AT port
   * shows only the `OK` of a repeated AT+MQTTSUB.
   */
  alreadySubscribeOnLogUart: boolean;
  /** The AT+GMR answer lines (before the blank line and OK). */
  gmr: string[];
}

/** 2.1 to 2.2.1: each MQTTUSERCFG field up to 256 bytes; the whole line must stay under 256. */
const WIDE_USERCFG = { clientId: 256, username: 256, password: 256 };
/** 2.2.2 on: the manual's limits (client id 256, username 64, password 64). */
const MANUAL_USERCFG = { clientId: 256, username: 64, password: 64 };

const TRAITS: Record<EspFirmware, EspFirmwareTraits> = {
  '1.7.4.0': {
    mqtt: false,
    longCommands: false,
    topicBytes: 0,
    userCfgBytes: WIDE_USERCFG,
    cwjapFailFinal: 'FAIL',
    alreadySubscribeOnLogUart: false,
    gmr: [
      'AT version:1.7.4.0(May 11 2020 19:13:04)',
      'SDK version:3.0.4(9532ceb)',
      'compile time:May 27 2020 10:12:17',
      'Bin version(Wroom 02):1.7.4',
    ],
  },
  '2.1.0.0': {
    mqtt: true,
    longCommands: false,
    topicBytes: 64,
    userCfgBytes: WIDE_USERCFG,
    cwjapFailFinal: 'ERROR',
    alreadySubscribeOnLogUart: false,
    gmr: [
      'AT version:2.1.0.0(a9a2ea9 - ESP8266 - Jun 23 2020 07:39:35)',
      'SDK version:v3.2-335-g8a3d7dd',
      'compile time(6c0ef4d):Jun 23 2020 16:15:05',
      'Bin version:2.1.0(WROOM-02)',
    ],
  },
  '2.2.0.0': {
    mqtt: true,
    longCommands: false,
    topicBytes: 128,
    userCfgBytes: WIDE_USERCFG,
    cwjapFailFinal: 'ERROR',
    alreadySubscribeOnLogUart: true,
    gmr: [
      'AT version:2.2.0.0(b097cdf - ESP8266 - Jun 17 2021 12:57:45)',
      'SDK version:v3.4-22-g967752e2',
      'compile time(6800286):Aug  4 2021 17:20:05',
      'Bin version:2.2.0(WROOM-02)',
    ],
  },
  '2.2.1.0': {
    mqtt: true,
    longCommands: false,
    topicBytes: 128,
    userCfgBytes: WIDE_USERCFG,
    cwjapFailFinal: 'ERROR',
    alreadySubscribeOnLogUart: false,
    gmr: [
      'AT version:2.2.1.0(ede72af - ESP8266 - Aug  6 2021 11:44:25)',
      'SDK version:v3.4-22-g967752e2',
      'compile time(ede72af):Aug  6 2021 11:52:13',
      'Bin version:2.2.1(WROOM-02)',
    ],
  },
  '2.2.2.0': {
    mqtt: true,
    longCommands: true,
    topicBytes: 128,
    userCfgBytes: MANUAL_USERCFG,
    cwjapFailFinal: 'ERROR',
    alreadySubscribeOnLogUart: false,
    gmr: [
      'AT version:2.2.2.0(4274148 - ESP8266 - Mar 25 2025 08:11:31)',
      'SDK version:v3.4-22-g967752e2',
      'compile time(4274148):Mar 25 2025 08:15:02',
      'Bin version:2.2.2(WROOM-02)',
    ],
  },
  '2.3.0.0': {
    mqtt: true,
    longCommands: true,
    topicBytes: 128,
    userCfgBytes: MANUAL_USERCFG,
    cwjapFailFinal: 'ERROR',
    alreadySubscribeOnLogUart: false,
    gmr: [
      'AT version:2.3.0.0(d8ef1a7 - ESP8266 - Jul 12 2022 03:13:08)',
      'SDK version:v3.4-59-g1f6d4e7c',
      'compile time(22a3bd0):Jul 12 2022 03:16:52',
      'Bin version:2.3.0(WROOM-02)',
    ],
  },
};

export const DEFAULT_ESP_FIRMWARE: EspFirmware = '2.2.0.0';

/** Every generation the emulator knows, oldest first. */
export const ESP_FIRMWARES = Object.keys(TRAITS) as EspFirmware[];

export function espFirmwareTraits(version: EspFirmware): EspFirmwareTraits {
  const t = TRAITS[version];
  if (!t) throw new Error(`unknown ESP-AT firmware ${String(version)} (known: ${Object.keys(TRAITS).join(', ')})`);
  return t;
}
