/** Command line of `iotda-modem-sim`, parsed without dependencies (kept apart so it is testable). */
import { ESP_FIRMWARES, type EspFirmware } from './esp8266-firmware';
import type { EmulatedModel } from './types';

export interface ModemSimCliOptions {
  model: EmulatedModel;
  tcpPort?: number;
  ptyPath?: string;
  baudRate: number;
  strict: boolean;
  bootDelayMs?: number;
  /** Send every MQTT connection here instead of the host named in the AT command. */
  broker?: { host: string; port: number };
  tlsCaFile?: string;
  /** ESP8266 only: the ESP-AT generation to pretend to be. */
  espFirmware?: EspFirmware;
}

export const MODEM_SIM_USAGE = `usage: iotda-modem-sim <ec20|bc26|esp8266> [--tcp <port>] [--pty <path>] [--baud <rate>]
                       [--strict] [--boot-delay <ms>] [--broker <host:port>] [--tls-ca <file>]
                       [--esp-firmware <${ESP_FIRMWARES.join('|')}>]
  --tcp 7001           listen for one host connection on 127.0.0.1:7001 (ser2net style)
  --pty /tmp/ttyEC20   create a pseudo-terminal with socat that a serial driver can open
  --broker host:port   connect every MQTT session there (e.g. the local IoTDA emulator)
  --esp-firmware 2.1.0.0  ESP8266 only: ESP-AT generation (default 2.2.0.0; 1.7.4.0 has no MQTT)`;

export function parseModemSimArgs(argv: string[]): ModemSimCliOptions {
  const [model, ...rest] = argv;
  if (model !== 'ec20' && model !== 'bc26' && model !== 'esp8266') throw new Error(`unknown model ${JSON.stringify(model ?? '')}`);
  const out: ModemSimCliOptions = { model, baudRate: 115200, strict: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (min: number, max: number): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${flag} must be an integer ${min}-${max}`);
      return v;
    };
    switch (flag) {
      case '--tcp':
        out.tcpPort = int(0, 65535);
        break;
      case '--pty':
        out.ptyPath = value();
        break;
      case '--baud':
        out.baudRate = int(0, 4_000_000);
        break;
      case '--strict':
        out.strict = true;
        break;
      case '--boot-delay':
        out.bootDelayMs = int(0, 120_000);
        break;
      case '--broker': {
        const m = /^(.+):(\d+)$/.exec(value());
        if (!m) throw new Error('--broker must be host:port');
        out.broker = { host: m[1], port: Number(m[2]) };
        break;
      }
      case '--tls-ca':
        out.tlsCaFile = value();
        break;
      case '--esp-firmware': {
        const v = value();
        if (model !== 'esp8266') throw new Error('--esp-firmware is for the esp8266 model only');
        if (!(ESP_FIRMWARES as string[]).includes(v)) throw new Error(`--esp-firmware must be one of ${ESP_FIRMWARES.join(', ')}`);
        out.espFirmware = v as EspFirmware;
        break;
      }
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (out.tcpPort === undefined && out.ptyPath === undefined) throw new Error('give --tcp <port> or --pty <path>');
  return out;
}
