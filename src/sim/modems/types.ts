import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { EspFirmware } from './esp8266-firmware';

export type { EspFirmware };

export type EmulatedModel = 'ec20' | 'bc26' | 'esp8266';

export interface EmulatedWifiNetwork {
  ssid: string;
  password: string;
  /** Signal strength in dBm reported by AT+CWJAP? and AT+CWLAP (default -55). */
  rssi?: number;
}


export interface ModemEmulatorOptions {
  model: EmulatedModel;
  /** Pacing of modem->host bytes at 10 bits/byte; 0 = unpaced; default 115200. */
  baudRate?: number;
  /** Silence before boot URCs at power-on (default 50 ms). */
  bootDelayMs?: number;
  /** Record every non-well-formed command of the dialect as a violation. */
  strict?: boolean;
  /** Where the MQTT.js client really connects (default: the host and port named in the AT command). */
  resolveBroker?: (host: string, port: number) => { host: string; port: number };
  /**
   * EC20: the module's user file system (UFS) in flash, name (without `UFS:`) to contents. It
   * survives restarts of the module; hand the same map to another emulator to keep the files
   * across emulator instances. An SSL context at AT+QSSLCFG="seclevel" 1 or 2 verifies the server
   * against the UFS file its "cacert" names (never a hostname check). Default: empty.
   */
  ufs?: Map<string, Buffer>;
  /**
   * The module interface the host's port is on (default: `usb` for the EC20, the USB AT port of
   * an EC20 stick; `uart` for the others). The emulated port reports matching USB ids
   * (hostPortIds), and the EC20 sends its URCs to the host only when its URC port setting
   * names this interface (docs/models/ec20.md, "URC port").
   */
  hostInterface?: 'usb' | 'uart';
  /** EC20: the URC port in NV memory when the emulator starts (default `usbat`, the factory value). */
  urcPort?: 'usbat' | 'usbmodem' | 'uart1';
  /**
   * The module restarts whenever a host opens the port (boards that wire DTR or RTS to reset or
   * PWRKEY; host and module powered together). Input is lost until the application is up.
   * Default false: the module powers on once, at the first port open.
   */
  powerOnAtPortOpen?: boolean;
  /** Latency range of result URCs after `OK`, in ms (default [5, 25]). */
  urcLatencyMs?: [number, number];
  // cellular
  /** A SIM is inserted (default true). */
  simPresent?: boolean;
  /** Registration stat reported by +CREG/+CGREG/+CEREG (default 1 = home). */
  registration?: 0 | 1 | 2 | 3 | 4 | 5;
  /**
   * The SIM's subscription (default `normal`). `data-only`: an IoT SIM without voice, refused
   * circuit-switched registration (`+CREG: 0,3`) while packet-switched registration succeeds.
   */
  sim?: 'normal' | 'data-only';
  /** Received signal strength 0-31, 99 unknown (default 24). */
  csq?: number;
  /**
   * The time the network gives the module, as UTC ms (NITZ on the EC20/BC26, SNTP on the
   * ESP8266): a clock function (default: the real clock), or `none` for a network that sends no
   * time (the module reports its unsynced RTC or epoch; quectel-clock.ts, esp8266-sntp.ts).
   */
  networkClock?: (() => number) | 'none';
  /** EC20 only: accept the inline publish form D (`...,"<topic>","<msg>"`) (default false). */
  inlinePublish?: boolean;
  /**
   * Quectel firmware release (default `current`). `legacy`: EC20 firmware without QMTCFG
   * "recv/mode" (downlinks without a length field); BC26 firmware before its MQTT application
   * note V1.1 (no QMTCFG "version": MQTT 3.1 only). See docs/models/ec20.md, docs/models/bc26.md.
   */
  quectelFirmware?: 'current' | 'legacy';
  /** BC26 only: default MQTT version before any QMTCFG "version" (3 = 3.1 by default, 4 = 3.1.1). */
  defaultMqttVersion?: 3 | 4;
  // wifi
  /** ESP8266: known access points (absent: any SSID/password joins). */
  wifiNetworks?: EmulatedWifiNetwork[];
  /** ESP8266: firmware generation (default 2.2.0.0; 1.7.4.0 has no MQTT commands). */
  espFirmware?: EspFirmware;
}

export interface TranscriptEntry {
  dir: 'in' | 'out';
  /** ms since the emulator was created. */
  t: number;
  bytes: Buffer;
}

/** Faults every model supports. Models add their own (see each model's faults type). */
export interface ModemFaults {
  /** Boot banner mid-anything; all state lost (echo back on, MQTT gone). */
  reboot(): void;
  /** Broker link loss: `+QMTSTAT: <idx>,1` / `+MQTTDISCONNECTED:0`. */
  dropLink(clientIndex?: number): void;
  /** ESP: next N commands answer `busy p...`; Quectel: `+CME ERROR: 14` (SIM busy). */
  busy(count: number): void;
  /** The Nth command from now (1 = the next) answers ERROR. */
  errorOnCommand(n: number): void;
  /** Extra latency before each answer. */
  delay(ms: number): void;
  /** Inject garbage bytes now. */
  noise(bytes: Buffer): void;
  /** The stream ends (unplug). */
  closePort(): void;
  /** The modem hangs: ignores every byte and sends nothing until `mute(false)` (state kept). */
  mute(on?: boolean): void;
}

/** USB ids of a port, four lower-case hex digits each. */
export interface EmulatedUsbIds {
  vendorId: string;
  productId: string;
}

export interface ModemEmulator<F extends ModemFaults = ModemFaults> extends EventEmitter {
  readonly model: EmulatedModel;
  /** The interface of the module the host is on. */
  readonly hostInterface: 'usb' | 'uart';
  /**
   * The USB ids the host sees for its port: the module's own (Quectel 2c7c:0125) on `usb`, an
   * FTDI USB-serial bridge (0403:6001) on `uart`, as a dev board puts in front of the UART.
   */
  readonly hostPortIds: EmulatedUsbIds;
  /** Speak the dialect over any byte stream (modem side). */
  attach(stream: Duplex): void;
  /** In-process duplex pair; returns the HOST side (what a driver writes/reads). */
  createHostStream(): Duplex;
  /** TCP listener (one host connection at a time); resolves with the bound port. */
  listenTcp(port?: number, host?: string): Promise<number>;
  readonly violations: string[];
  readonly transcript: TranscriptEntry[];
  readonly faults: F;
  close(): Promise<void>;
}
