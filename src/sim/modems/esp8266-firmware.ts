/**
 * ESP8266 firmware generations the emulator can pretend to be (PROTOCOLS.md §2.3 "Firmware").
 * The generation decides which MQTT commands exist and how long a topic may be; `AT+GMR` names it.
 */

export type EspFirmware = '1.7.4.0' | '2.1.0.0' | '2.2.0.0' | '2.3.0.0';

export interface EspFirmwareTraits {
  /** MQTT AT commands exist at all (NonOS 1.x and 2.0 have none). */
  mqtt: boolean;
  /** AT+MQTTLONGCLIENTID / LONGUSERNAME / LONGPASSWORD exist. */
  longCommands: boolean;
  /** Longest MQTT topic in bytes. */
  topicBytes: number;
  /** NonOS firmware ends a failed CWJAP with FAIL instead of ERROR. */
  cwjapFailFinal: 'ERROR' | 'FAIL';
  /** The AT+GMR answer lines (before the blank line and OK). */
  gmr: string[];
}

const TRAITS: Record<EspFirmware, EspFirmwareTraits> = {
  '1.7.4.0': {
    mqtt: false,
    longCommands: false,
    topicBytes: 0,
    cwjapFailFinal: 'FAIL',
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
    cwjapFailFinal: 'ERROR',
    gmr: [
      'AT version:2.1.0.0(a9a2ea9 - ESP8266 - Jun 23 2020 07:39:35)',
      'SDK version:v3.2-335-g8a3d7dd',
      'compile time(6c0ef4d):Jun 23 2020 16:15:05',
      'Bin version:2.1.0(WROOM-02)',
    ],
  },
  '2.2.0.0': {
    mqtt: true,
    longCommands: true,
    topicBytes: 128,
    cwjapFailFinal: 'ERROR',
    gmr: [
      'AT version:2.2.0.0(b097cdf - ESP8266 - Jun 17 2021 12:57:45)',
      'SDK version:v3.4-22-g967752e2',
      'compile time(6800286):Aug  4 2021 17:20:05',
      'Bin version:2.2.0(WROOM-02)',
    ],
  },
  '2.3.0.0': {
    mqtt: true,
    longCommands: true,
    topicBytes: 128,
    cwjapFailFinal: 'ERROR',
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
