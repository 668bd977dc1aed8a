/**
 * `sim:<model>` ports: the built-in modem emulator behind an in-process byte pipe. The
 * emulator lives as long as its modem-config node, so a "port loss" (unplug fault) followed by
 * a reopen reaches the same emulated modem, as replugging a USB modem would.
 */
import type { Duplex } from 'node:stream';
import type { Transport } from '../transport/transport';
import type { EmulatedModel, ModemEmulator } from './modems/types';

export const SIM_MODELS: readonly EmulatedModel[] = ['ec20', 'bc26', 'esp8266'];

/** The model of a `sim:<model>` port name, else undefined. */
export function simModelOf(port: string): EmulatedModel | undefined {
  const m = /^sim:(ec20|bc26|esp8266)$/i.exec(port.trim());
  return m ? (m[1].toLowerCase() as EmulatedModel) : undefined;
}

export interface SimPortOptions {
  baudRate?: number;
  strict?: boolean;
  /** Where the emulated modem's MQTT client really connects (default: the host in its AT command). */
  resolveBroker?: (host: string, port: number) => { host: string; port: number };
}

type DuplexTransportCtor = new (stream: Duplex, description: string) => Transport;

export class SimPort {
  readonly emulator: ModemEmulator;
  readonly name: string;

  constructor(
    readonly model: EmulatedModel,
    opts: SimPortOptions = {},
  ) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createModemEmulator } = require('./modems') as typeof import('./modems');
    this.name = `sim:${model}`;
    this.emulator = createModemEmulator({
      model,
      baudRate: opts.baudRate ?? 115200,
      strict: opts.strict ?? false,
      ...(opts.resolveBroker ? { resolveBroker: opts.resolveBroker } : {}),
    });
  }

  /** A fresh transport on a fresh pipe: the emulator sees a newly plugged-in host. */
  createTransport(): Transport {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../transport') as { DuplexTransport: DuplexTransportCtor };
    return new mod.DuplexTransport(this.emulator.createHostStream(), this.name);
  }

  close(): Promise<void> {
    return this.emulator.close();
  }
}
