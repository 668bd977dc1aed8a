/**
 * Editor port discovery: serial ports on the machine plus the built-in emulators. Emulators
 * come as `{path: 'sim:<model>', sim: true, model}` without a label: the editor names them in
 * the user's language (modem-config.sim.<model>) and counts only the serial ports.
 */
import { listModemPorts } from './modem-port';
import type { RedAPI } from './node-red-api';

export interface PortsAnswerEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  sim?: true;
  model?: string;
}

/** The port list as the editor gets it: each port once, emulators marked, no catalog keys. */
export async function portsForEditor(list: () => Promise<{ path: string; manufacturer?: string; serialNumber?: string; sim?: boolean }[]> = listModemPorts): Promise<PortsAnswerEntry[]> {
  const seen = new Set<string>();
  const out: PortsAnswerEntry[] = [];
  for (const p of await list()) {
    if (seen.has(p.path)) continue;
    seen.add(p.path);
    const sim = /^sim:(.+)$/.exec(p.path);
    if (p.sim || sim) {
      out.push({ path: p.path, sim: true, ...(sim ? { model: sim[1] } : {}) });
    } else {
      out.push({ path: p.path, ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}), ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}) });
    }
  }
  return out;
}

export function registerPortsEndpoint(RED: RedAPI): void {
  RED.httpAdmin.get('/iotda-at/ports', RED.auth.needsPermission('modem-config.read'), (_req: unknown, res: { json(v: unknown): void; status(n: number): { json(v: unknown): void } }) => {
    portsForEditor().then(
      (ports) => res.json(ports),
      (err: Error) => res.status(500).json({ error: err.message }),
    );
  });
}
