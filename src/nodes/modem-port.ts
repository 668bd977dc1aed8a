/**
 * Port names of modem-config: a serial path, `tcp://host:port` or `sim:<model>`. Opens the
 * matching transport; for `sim:` it keeps one emulator per modem-config node.
 */
import type { Transport } from '../transport/transport';
import { SimPort, simModelOf, SIM_MODELS } from '../sim/sim-port';
import type { EmulatedModel } from '../sim/modems/types';

export type ParsedPort =
  | { kind: 'serial'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'sim'; model: EmulatedModel };

export function parsePort(port: string): ParsedPort | undefined {
  const p = (port ?? '').trim();
  if (!p) return undefined;
  if (/^sim:/i.test(p)) {
    const model = simModelOf(p);
    return model ? { kind: 'sim', model } : undefined;
  }
  if (/^tcp:/i.test(p)) {
    const m = /^tcp:\/\/([^/:\s]+|\[[0-9a-f:]+\]):(\d{1,5})\/?$/i.exec(p);
    const n = m ? Number(m[2]) : 0;
    return m && n >= 1 && n <= 65535 ? { kind: 'tcp', host: m[1], port: n } : undefined;
  }
  // A device path (/dev/ttyUSB2, /dev/serial/by-id/..., COM3): anything without spaces or control bytes.
  return /^[^\s\u0000-\u001f]+$/.test(p) ? { kind: 'serial', path: p } : undefined;
}

interface TransportModule {
  createTransport(port: string, opts: { baudRate: number }): Transport;
  listSerialPorts(): Promise<{ path: string; manufacturer?: string; serialNumber?: string; pnpId?: string }[]>;
  identifyUsbPort(path: string): Promise<{ vendorId: string; productId?: string; source: string } | undefined>;
}

/**
 * The USB ids behind a port, for the host interface decision (src/modems/host-interface.ts):
 * a serial path is looked up (udev, sysfs, /dev/serial/by-id); a `sim:` port reports the ids
 * of the interface its emulator is on; `tcp://` has none. Undefined when they cannot be told.
 */
export async function identifyModemPort(port: string, ownerId: string): Promise<{ vendorId: string; productId?: string; source: string } | undefined> {
  const parsed = parsePort(port);
  if (!parsed || parsed.kind === 'tcp') return undefined;
  if (parsed.kind === 'sim') {
    const ids = simPorts.get(ownerId)?.emulator.hostPortIds;
    return ids ? { ...ids, source: `the emulated ${parsed.model}` } : undefined;
  }
  try {
    return await transportModule().identifyUsbPort(parsed.path);
  } catch {
    return undefined;
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const transportModule = () => require('../transport') as TransportModule;

const simPorts = new Map<string, SimPort>();

export interface OpenOptions {
  baudRate: number;
  /** The modem-config node id: owner of a sim: emulator. */
  ownerId: string;
}

/** A new transport for the port (not opened: the driver opens it). Serial paths are re-resolved on every call. */
export async function openModemTransport(port: string, opts: OpenOptions): Promise<Transport> {
  const parsed = parsePort(port);
  if (!parsed) throw new Error(`invalid port "${port}"`);
  if (parsed.kind === 'sim') {
    let sim = simPorts.get(opts.ownerId);
    if (!sim) {
      sim = new SimPort(parsed.model, { baudRate: opts.baudRate });
      simPorts.set(opts.ownerId, sim);
    }
    return sim.createTransport();
  }
  return transportModule().createTransport(port.trim(), { baudRate: opts.baudRate });
}

/** The emulator behind a modem-config node's sim: port (for fault injection in tests and demos). */
export function simPortOf(ownerId: string): SimPort | undefined {
  return simPorts.get(ownerId);
}

export async function closeSimPort(ownerId: string): Promise<void> {
  const sim = simPorts.get(ownerId);
  if (!sim) return;
  simPorts.delete(ownerId);
  await sim.close();
}

export interface PortListing {
  path: string;
  label?: string;
  manufacturer?: string;
  serialNumber?: string;
  sim?: boolean;
}

/** Serial ports found on the machine, then the built-in emulators. Listing failures leave just the emulators. */
export async function listModemPorts(): Promise<PortListing[]> {
  let serial: PortListing[] = [];
  try {
    serial = (await transportModule().listSerialPorts()).map((p) => ({
      path: p.path,
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
      ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
    }));
  } catch {
    // No serialport build or no permission (Docker without --device): typed paths still work.
  }
  return [...serial, ...SIM_MODELS.map((m) => ({ path: `sim:${m}`, label: `modem-config.sim.${m}`, sim: true }))];
}
