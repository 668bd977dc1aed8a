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
  /** The module interface the host is on (EC20: decides where URCs go). */
  hostInterface?: 'usb' | 'uart';
  /** Cellular: a data-only SIM (circuit-switched registration denied). */
  sim?: 'normal' | 'data-only';
  /** Quectel: firmware release (legacy: EC20 without QMTCFG "recv/mode", BC26 without "version"). */
  quectelFirmware?: 'current' | 'legacy';
  /** The module restarts whenever a host connects. */
  powerOnAtPortOpen?: boolean;
}

export const MODEM_SIM_USAGE = `usage: iotda-modem-sim <ec20|bc26|esp8266> [--tcp <port>] [--pty <path>] [--baud <rate>]
                       [--strict] [--boot-delay <ms>] [--broker <host:port>] [--tls-ca <file>]
                       [--esp-firmware <${ESP_FIRMWARES.join('|')}>]
                       [--host-interface <usb|uart>] [--sim <normal|data-only>]
                       [--quectel-firmware <current|legacy>] [--power-on-at-open]
  --tcp 7001           listen for one host connection on 127.0.0.1:7001 (ser2net style)
  --pty /tmp/ttyEC20   create a pseudo-terminal with socat that a serial driver can open
  --broker host:port   connect every MQTT session there (e.g. the local IoTDA emulator)
  --esp-firmware 2.1.0.0  ESP8266 only: ESP-AT generation (default 2.2.0.0; 1.7.4.0 has no MQTT)
  --host-interface uart   the module port the host is on (EC20 default usb: URCs follow its URC port)
  --sim data-only         EC20/BC26: an IoT SIM without voice (+CREG: 0,3)
  --quectel-firmware legacy  EC20 without QMTCFG "recv/mode", BC26 without "version"
  --power-on-at-open      the module restarts whenever a host connects`;

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
      case '--host-interface': {
        const v = value();
        if (v !== 'usb' && v !== 'uart') throw new Error('--host-interface must be usb or uart');
        out.hostInterface = v;
        break;
      }
      case '--sim': {
        const v = value();
        if (model === 'esp8266') throw new Error('--sim is for the ec20 and bc26 models only');
        if (v !== 'normal' && v !== 'data-only') throw new Error('--sim must be normal or data-only');
        out.sim = v;
        break;
      }
      case '--quectel-firmware': {
        const v = value();
        if (model === 'esp8266') throw new Error('--quectel-firmware is for the ec20 and bc26 models only');
        if (v !== 'current' && v !== 'legacy') throw new Error('--quectel-firmware must be current or legacy');
        out.quectelFirmware = v;
        break;
      }
      case '--power-on-at-open':
        out.powerOnAtPortOpen = true;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (out.tcpPort === undefined && out.ptyPath === undefined) throw new Error('give --tcp <port> or --pty <path>');
  return out;
}
