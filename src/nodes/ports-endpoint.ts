/** Editor port discovery: serial ports on the machine plus the built-in emulators. */
import { listModemPorts } from './modem-port';
import type { RedAPI } from './node-red-api';

export function registerPortsEndpoint(RED: RedAPI): void {
  RED.httpAdmin.get('/iotda-at/ports', RED.auth.needsPermission('modem-config.read'), (_req: unknown, res: { json(v: unknown): void; status(n: number): { json(v: unknown): void } }) => {
    listModemPorts().then(
      (ports) => res.json(ports),
      (err: Error) => res.status(500).json({ error: err.message }),
    );
  });
}
