/**
 * Modem emulators (EC20, BC26, ESP8266): the AT dialect in, a real MQTT.js connection out.
 * A product feature (flows run before hardware arrives) and the test oracle of the driver.
 */
import type { ModemEmulator, ModemEmulatorOptions } from './types';

export * from './types';
export { createDuplexPair } from './duplex-pair';
export { ModemEmulatorBase } from './emulator-base';

type EmulatorFactory = (opts: ModemEmulatorOptions) => ModemEmulator;

/**
 * Each model module is loaded on first use, so a flow that emulates one modem does not load the
 * other dialects. The ESP8266 module is `./esp8266`, exporting `createEsp8266Emulator(opts)`.
 */
const factories: Record<ModemEmulatorOptions['model'], () => EmulatorFactory> = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ec20: () => (require('./ec20') as { createEc20Emulator: EmulatorFactory }).createEc20Emulator,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  bc26: () => (require('./bc26') as { createBc26Emulator: EmulatorFactory }).createBc26Emulator,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  esp8266: () => (require('./esp8266') as { createEsp8266Emulator: EmulatorFactory }).createEsp8266Emulator,
};

export function createModemEmulator(opts: ModemEmulatorOptions): ModemEmulator {
  const factory = factories[opts.model];
  if (!factory) throw new Error(`unknown emulated modem model: ${String(opts.model)}`);
  return factory()(opts);
}
