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

export const MODEM_SIM_USAGE = `usage: iotda-modem-sim <ec20|bc26|esp8266> (--tcp <port> | --pty <path>) [options]; iotda-modem-sim --help for all options`;

/** The full `--help` text: every option the parser below takes, and examples. */
export const MODEM_SIM_HELP = `iotda-modem-sim: an emulated Quectel EC20, Quectel BC26 or ESP8266 (ESP-AT) modem that a real
driver, Node-RED's modem-config node or a serial terminal can talk AT commands to. Its MQTT
sessions go to a real broker, e.g. the local IoTDA emulator (iotda-sim).

usage: iotda-modem-sim <ec20|bc26|esp8266> (--tcp <port> | --pty <path>) [options]

Where the host connects (one of them is needed):
  --tcp <port>             listen for one host connection on 127.0.0.1:<port> (ser2net style; 0 = any
                           free port, printed at start); in Node-RED use the port tcp://127.0.0.1:<port>
  --pty <path>             also create a pseudo-terminal at <path> with socat (apt install socat) that
                           serial software opens like a port (/tmp/ttyEC20)

Options:
  --baud <rate>            UART speed in bits/s (default 115200; 0 = no pacing): bytes travel no faster
                           than a real UART carries them, in both directions (10 bits per byte)
  --strict                 record the host's protocol mistakes as violations (printed on stderr)
  --boot-delay <ms>        time from power-on to the ready banner (default 2000)
  --broker <host:port>     connect every MQTT session there instead of the host in the AT command
                           (e.g. 127.0.0.1:1883 for iotda-sim)
  --esp-firmware <${ESP_FIRMWARES.join('|')}>
                           esp8266 only: the ESP-AT release to behave as (default 2.2.0.0; 1.7.4.0 has no MQTT)
  --host-interface <usb|uart>
                           the module port the host is on (EC20 default usb: URCs follow its URC port setting)
  --sim <normal|data-only> ec20/bc26: a data-only IoT SIM (circuit-switched registration denied, +CREG: 0,3)
  --quectel-firmware <current|legacy>
                           ec20/bc26: legacy = EC20 without QMTCFG "recv/mode", BC26 without "version"
  --power-on-at-open       the module restarts whenever a host connects (DTR/RTS wired to reset)
  -h, --help               print this help and exit

Examples:
  iotda-sim &                                        # the IoTDA emulator on 127.0.0.1:1883
  iotda-modem-sim ec20 --tcp 7001 --broker 127.0.0.1:1883
      then set the modem-config port to tcp://127.0.0.1:7001
  iotda-modem-sim bc26 --pty /tmp/ttyBC26 --baud 9600 --broker 127.0.0.1:1883
      then open /tmp/ttyBC26 at 9600 baud (minicom -D /tmp/ttyBC26, or a modem-config port)`;

/** True when the command line asks for help (anywhere, so `ec20 --help` works too). */
export function wantsHelp(argv: string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

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
