/**
 * Modem emulators (EC20, BC26, ESP8266): the AT dialect in, a real MQTT.js connection out.
 * A product feature (flows run before hardware arrives) and the test oracle of the driver.
 * Nothing here imports src/at or src/modems: the emulators follow the manuals, not the driver.
 */
import { Bc26Emulator } from './bc26';
import { Ec20Emulator } from './ec20';
import { Esp8266Emulator, type Esp8266EmulatorOptions } from './esp8266';
import type { ModemEmulator, ModemEmulatorOptions } from './types';

export * from './types';
export { createDuplexPair } from './duplex-pair';
export { ModemEmulatorBase } from './emulator-base';
export { Ec20Emulator, createEc20Emulator } from './ec20';
export { Bc26Emulator, createBc26Emulator } from './bc26';
export type { QuectelFaults } from './quectel-emulator';
export { Esp8266Emulator, createEsp8266Emulator } from './esp8266';
export type { Esp8266EmulatorOptions, Esp8266Faults } from './esp8266';

export function createModemEmulator(opts: ModemEmulatorOptions & { model: 'ec20' }): Ec20Emulator;
export function createModemEmulator(opts: ModemEmulatorOptions & { model: 'bc26' }): Bc26Emulator;
export function createModemEmulator(opts: Esp8266EmulatorOptions & { model: 'esp8266' }): Esp8266Emulator;
export function createModemEmulator(opts: ModemEmulatorOptions): ModemEmulator;
export function createModemEmulator(opts: ModemEmulatorOptions): ModemEmulator {
  switch (opts.model) {
    case 'ec20':
      return new Ec20Emulator(opts);
    case 'bc26':
      return new Bc26Emulator(opts);
    case 'esp8266':
      return new Esp8266Emulator(opts);
    default:
      throw new Error(`unknown emulated modem model: ${String((opts as { model: unknown }).model)}`);
  }
}
