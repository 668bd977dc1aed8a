/**
 * `modem-config`: one modem on one port, shared by every IoTDA connection that names it.
 * It owns the ModemSupervisor (transport + driver + init + network attach) and the claim on
 * the port path; connections register their links so that on close they can say goodbye to
 * the broker (bounded) before the port closes under them.
 */
import type { ModemDriver } from '../modems/driver';
import { ModemSupervisor } from '../link/modem-supervisor';
import type { LinkSupervisor } from '../link/link-supervisor';
import { identifyModemPort, openModemTransport, parsePort } from './modem-port';
import { decideHostInterface, isHostInterfaceSetting, type HostInterfaceSetting } from '../modems/host-interface';
import type { NodeMessage, RedAPI, RedNode } from './node-red-api';
import { claimPort, releasePort, resolvePortPath } from './port-registry';
import { settleWithin } from '../link/settle-within';
import { modemLabel, nameByLabel } from './node-label';

export const MODEM_MODELS = ['ec20', 'bc26', 'esp8266'] as const;

export interface ModemConfigDef {
  id: string;
  name?: string;
  port: string;
  baudRate?: number | string;
  model: string;
  apn?: string;
  apnUser?: string;
  wifiSsid?: string;
  trace?: boolean;
  /** The module interface the port is on: `auto` (from the port's USB ids), `usb` or `uart`. */
  interface?: string;
}

export interface ModemConfigNode extends RedNode {
  model: string;
  portName: string;
  /** Set when the configuration cannot work; users show it as their status. */
  invalid?: string;
  modem?: ModemSupervisor;
  addLink(link: LinkSupervisor): void;
  removeLink(link: LinkSupervisor): void;
}

const CLOSE_LIMIT_MS = 12000;


export function registerModemConfig(RED: RedAPI): void {
  function ModemConfig(this: ModemConfigNode, config: ModemConfigDef) {
    RED.nodes.createNode(this, config);
    // Log lines and Catch messages name an unnamed node by its editor label, not its id.
    nameByLabel(this, modemLabel({ ...config }));
    const node = this;
    node.model = String(config.model ?? '').toLowerCase();
    node.portName = String(config.port ?? '').trim();
    const links = new Set<LinkSupervisor>();
    node.addLink = (l) => links.add(l);
    node.removeLink = (l) => links.delete(l);

    const baudRate = Number(config.baudRate ?? 115200) || 115200;
    const parsed = parsePort(node.portName);
    // Flows from before the setting existed have none: auto.
    const hostInterface: HostInterfaceSetting | undefined =
      config.interface === undefined || config.interface === '' ? 'auto' : isHostInterfaceSetting(config.interface) ? config.interface : undefined;
    let claimed: string | undefined;
    if (!parsed) {
      node.invalid = RED._('iotda-at.errors.invalidPort', { port: node.portName });
    } else if (!hostInterface) {
      node.invalid = RED._('modem-config.errors.interface', { value: String(config.interface) });
    } else if (!(MODEM_MODELS as readonly string[]).includes(node.model)) {
      node.invalid = RED._('iotda-at.errors.invalidModel', { model: node.model });
    } else if (parsed.kind === 'sim' && parsed.model !== node.model) {
      node.invalid = RED._('iotda-at.errors.invalidModel', { model: `${node.model} (${node.portName})` });
    } else {
      const path = resolvePortPath(node.portName);
      const other = claimPort(path, node.id);
      if (other) {
        node.invalid = RED._('iotda-at.errors.portInUse', { port: node.portName, other });
      } else {
        claimed = path;
      }
    }
    if (node.invalid) {
      node.error(node.invalid);
    } else {
      const creds = node.credentials ?? {};
      const secrets = [creds.wifiPassword, creds.apnPassword].filter((s): s is string => !!s);
      const trace = config.trace
        ? (dir: string, text: string) => node.log(`${node.portName} ${dir} ${text}`)
        : undefined;
      const portNameForLogs = node.portName;
      node.modem = new ModemSupervisor({
        createDriver: async (): Promise<ModemDriver> => {
          // Lazily loaded: the modem layer pulls in the AT channel and profiles.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { createModemDriver } = require('../modems') as typeof import('../modems');
          const transport = await openModemTransport(node.portName, { baudRate, ownerId: node.id });
          // Decided per bring-up: a re-plugged stick may come back on another port.
          const decision = decideHostInterface(hostInterface ?? 'auto', node.portName, await identifyModemPort(node.portName, node.id));
          return createModemDriver(transport, node.model, {
            trace,
            secrets,
            ...(decision.hostInterface ? { hostInterface: decision.hostInterface } : {}),
            hostInterfaceReason: decision.reason,
            log: (text) => node.log(`${portNameForLogs}: ${text}`),
          });
        },
        attach: {
          apn: config.apn || undefined,
          apnUser: config.apnUser || undefined,
          apnPassword: creds.apnPassword || undefined,
          wifiSsid: config.wifiSsid || undefined,
          wifiPassword: creds.wifiPassword || undefined,
        },
        secrets,
        log: (level, text) => (level === 'warn' ? node.warn(`${portNameForLogs}: ${text}`) : node.log(`${portNameForLogs}: ${text}`)),
      });
    }

    node.on('close', (removed: boolean, done: () => void) => {
      // Links first (their DISCONNECT needs the port), then the modem, all within Node-RED's 15 s.
      // A redeploy keeps their queued reports for the new connection instances (issue 11).
      const byeAll = Promise.all([...links].map((l) => l.stop({ handOver: !removed })));
      settleWithin(byeAll, CLOSE_LIMIT_MS - 2000)
        .then(() => (node.modem ? settleWithin(node.modem.close(), 2000) : undefined))
        .then(async () => {
          const { closeSimPort } = await import('./modem-port');
          await settleWithin(closeSimPort(node.id), 1000);
        })
        .catch(() => undefined)
        .finally(() => {
          if (claimed) releasePort(claimed, node.id);
          done();
        });
    });
  }

  RED.nodes.registerType('modem-config', ModemConfig, {
    credentials: { wifiPassword: { type: 'password' }, apnPassword: { type: 'password' } },
  });
}

/** Used by flow nodes to report config problems through Catch. */
export function reportInvalid(node: RedNode, text: string, msg?: NodeMessage): void {
  node.status({ fill: 'red', shape: 'ring', text });
  if (msg) node.error(text, msg);
}
