/**
 * Serial ports for the editor's port picker. SerialPort.list() needs udev, which containers
 * usually lack; then the device nodes themselves are listed, stable /dev/serial/by-id names first.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';

export interface SerialPortEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  pnpId?: string;
}

export interface ListSerialPortsOptions {
  /** Replaces SerialPort.list (tests). */
  list?: () => Promise<SerialPortEntry[]>;
  /** Root of the device tree to scan in the fallback (default `/dev`; tests use a temp dir). */
  devDir?: string;
}

const DEVICE_FAMILIES = [/^ttyUSB(\d+)$/, /^ttyACM(\d+)$/, /^ttyS(\d+)$/];

async function readDirSafe(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

/** Device nodes present under `devDir`: by-id links first, then ttyUSB, ttyACM, ttyS in numeric order. */
export async function scanSerialDevices(devDir = '/dev'): Promise<SerialPortEntry[]> {
  const byIdDir = path.join(devDir, 'serial', 'by-id');
  const byId = (await readDirSafe(byIdDir)).sort().map((name) => ({ path: path.join(byIdDir, name) }));
  const names = await readDirSafe(devDir);
  const nodes: SerialPortEntry[] = [];
  for (const family of DEVICE_FAMILIES) {
    const found = names
      .map((n) => ({ n, m: family.exec(n) }))
      .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
      .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
    for (const f of found) nodes.push({ path: path.join(devDir, f.n) });
  }
  return [...byId, ...nodes];
}

export async function listSerialPorts(opts: ListSerialPortsOptions = {}): Promise<SerialPortEntry[]> {
  const list = opts.list ?? (() => SerialPort.list());
  try {
    const ports = await list();
    if (ports.length > 0) {
      return ports.map((p) => {
        const e: SerialPortEntry = { path: p.path };
        if (p.manufacturer) e.manufacturer = p.manufacturer;
        if (p.serialNumber) e.serialNumber = p.serialNumber;
        if (p.pnpId) e.pnpId = p.pnpId;
        return e;
      });
    }
  } catch {
    // No udevadm in containers: fall through to the device scan.
  }
  return scanSerialDevices(opts.devDir);
}
