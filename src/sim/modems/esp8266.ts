/**
 * ESP8266 with ESP-AT (>= 2.2 by default) as a modem emulator: the dialect engine
 * (esp8266-engine.ts) plugged into the emulator core, which owns the stream, pacing,
 * transcript and generic faults.
 */
import { ModemEmulatorBase } from './emulator-base';
import { Esp8266Engine } from './esp8266-engine';
import type { ModemEmulatorOptions, ModemFaults } from './types';

/** The common options (`espFirmware` and `wifiNetworks` are the ESP8266 ones there) and these. */
export interface Esp8266EmulatorOptions extends ModemEmulatorOptions {
  /** CONFIG_MQTT_BUFFER_SIZE of the firmware build: publish limit and downlink piece size (default 512). */
  espMqttBufferBytes?: number;
  /** `ready` is lost after a boot: only the ROM log garbage shows the restart (default false). */
  espBootLosesReady?: boolean;
  /**
   * Pins of the AT port: `tx1-rx3` (default) shares GPIO1 with the boot ROM log; `tx15-rx13`
   * (the WROOM-02 factory parameters) shows no ROM log on the AT port.
   */
  espAtPins?: 'tx1-rx3' | 'tx15-rx13';
  /** `busy p...` lines while AT+CWJAP runs, as capture esp_at_5.txt shows (default false). */
  espJoinBusy?: boolean;
  /** A stored Wi-Fi configuration: the module joins this SSID by itself after `ready`. */
  espStoredWifi?: string;
}

export interface Esp8266Faults extends ModemFaults {
  /** The next AT+CWJAP fails with `+CWJAP:<code>`: 1 timeout, 2 wrong password, 3 AP not found, 4 failed. */
  wifiJoinFailure(code: 1 | 2 | 3 | 4): void;
  /** The access point goes away: `WIFI DISCONNECT`, and `+MQTTDISCONNECTED:0` if MQTT was up. */
  wifiLost(): void;
  /** The broker refuses the next AT+MQTTCONN with a non-zero CONNACK: `+MQTTDISCONNECTED:0`, `ERROR`. */
  connectRefused(): void;
  /** The broker link drops while the next AT+MQTTPUBRAW's data is entered (glued URC). */
  dropLinkDuringPublish(): void;
  /** A reset whose `ready` is lost: only the ROM log garbage shows it. */
  rebootWithoutReady(): void;
  /**
   * A reset the host sees nothing of (ROM log and `ready` lost, e.g. a UART that drops bytes
   * with framing errors): only the echo, back on, of the next command shows it.
   */
  rebootUnseen(): void;
}

/**
 * Events besides the core's: 'up' when the application is up after a boot (it takes commands
 * from then on), whether or not `ready` was printed.
 */
export class Esp8266Emulator extends ModemEmulatorBase<Esp8266Faults> {
  private readonly engine: Esp8266Engine;
  private readonly espOptions: Esp8266EmulatorOptions;
  /** The ROM prints reset cause 1 at the first power-on, 2 at every reset after it. */
  private poweredBefore = false;
  /** What the host misses of the next boot's output (set by the reboot faults). */
  private nextBootLost: 'nothing' | 'ready' | 'everything' = 'nothing';

  constructor(options: Esp8266EmulatorOptions) {
    super('esp8266', { ...options, model: 'esp8266' });
    this.espOptions = options;
    this.engine = new Esp8266Engine(
      {
        send: (bytes) => this.send(bytes),
        violation: (text) => this.violation(text),
        log: (text) => this.log(text),
        commandFaults: this.commandFaults,
        rebooted: () => this.emit('boot'),
        up: () => this.emit('up'),
      },
      {
        firmware: options.espFirmware,
        wifiNetworks: options.wifiNetworks,
        strict: this.options.strict,
        latencyMs: this.options.urcLatencyMs,
        resolveBroker: options.resolveBroker,
        mqttBufferBytes: options.espMqttBufferBytes,
        bootLosesReady: options.espBootLosesReady,
        joinBusy: options.espJoinBusy,
        atPins: options.espAtPins,
        storedWifi: options.espStoredWifi,
        networkClock: options.networkClock,
      },
    );
  }

  protected override extraFaults(): Partial<Esp8266Faults> {
    // Called from the base constructor, before `engine` exists: resolve it lazily.
    return {
      wifiJoinFailure: (code) => this.engine.faultWifiJoin(code),
      wifiLost: () => this.engine.faultWifiLost(),
      connectRefused: () => this.engine.faultConnectRefused(),
      dropLinkDuringPublish: () => this.engine.faultDropLinkDuringPublish(),
      rebootWithoutReady: () => {
        this.nextBootLost = 'ready';
        this.reboot();
      },
      rebootUnseen: () => {
        this.nextBootLost = 'everything';
        this.reboot();
      },
    };
  }

  protected receive(chunk: Buffer): void {
    this.engine.input(chunk);
  }

  protected powerOn(): void {
    const lost = this.nextBootLost;
    this.nextBootLost = 'nothing';
    const loseReady = lost !== 'nothing' || this.espOptions.espBootLosesReady === true;
    this.engine.powerOn(this.options.bootDelayMs, this.poweredBefore ? 2 : 1, loseReady, lost === 'everything');
    this.poweredBefore = true;
  }

  protected resetState(): void {
    // The base calls this from close() and reboot(); the engine may not exist yet only in theory.
    this.engine?.reset();
  }

  protected dropLink(): void {
    this.engine.faultDropLink();
  }

  protected override async shutdown(): Promise<void> {
    this.engine.close();
  }
}

export function createEsp8266Emulator(options: Esp8266EmulatorOptions): Esp8266Emulator {
  return new Esp8266Emulator(options);
}
