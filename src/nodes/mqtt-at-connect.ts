/**
 * `mqtt-at-connect`: one IoTDA device session over a modem, shared by every at-publish and
 * at-subscribe that names it (docs/node-red.md §7). Users register by node id; the first one starts
 * the LinkSupervisor, the last one leaving with `removed` stops it, and the user's close `done`
 * waits for that stop so a restarted user cannot meet a half-closed link (node-red#3927).
 */
import path from 'node:path';
import { validateDeviceId } from '../iotda/credentials';
import { LinkSupervisor, type DownlinkMessage, type LinkStatus } from '../link/link-supervisor';
import type { QueuedPublish } from '../link/offline-queue';
import { QueueStore } from '../link/queue-store';
import { topicMatches } from '../link/topic-match';
import type { ModemConfigNode } from './modem-config';
import type { NodeStatus, RedAPI, RedNode } from './node-red-api';
import { linkStatusView, refusedText } from './status-view';
import { settleWithin } from '../link/settle-within';
import { connectionLabel, nameByLabel } from './node-label';
import { serialTimeoutAdvice } from '../transport/serial-port-list';
import { isUnverified, tlsSettingOf } from './tls-choice';

export interface ConnectDef {
  id: string;
  name?: string;
  modem: string;
  host: string;
  port?: number | string;
  tls?: boolean;
  /** TLS verification: `iotda` (default), `custom` (credential caPem or caFile), `none` (tls-choice.ts). */
  tlsVerify?: string;
  caFile?: string;
  deviceId: string;
  signType?: number | string;
  keepalive?: number | string;
  clientIndex?: number | string;
  /** Keep queued reports in the Node-RED user directory across restarts (default on). */
  persistQueue?: boolean | string;
}

/** What a flow node gives the connection when it registers. */
export interface LinkUser {
  node: RedNode;
  /** Publishers: own queue length shown as `queued N`. */
  queued?: () => number;
  /** Subscribers: downlinks of interest. */
  accepts?: (m: DownlinkMessage) => boolean;
  deliver?: (m: DownlinkMessage) => void;
  /** Raw subscribers: filter added to the link's subscription table. */
  filter?: string;
}

export interface ConnectNode extends RedNode {
  invalid?: string;
  link?: LinkSupervisor;
  deviceId: string;
  modemNode?: ModemConfigNode;
  register(user: LinkUser): void;
  deregister(user: LinkUser, done: () => void, removed: boolean): void;
  /** Re-renders a user's status (after its queue changed). */
  refresh(user: LinkUser): void;
  /**
   * msg.action: takes the SHARED session down ("disconnect", kept down until "connect"), brings
   * it back ("connect") or renews it ("reconnect": DISCONNECT, then CONNECT with fresh
   * credentials). Resolves when done: held down, or online again. Rejects with a translated
   * error for an unknown action, an invalid connection or a connect that cannot succeed.
   */
  control(action: unknown): Promise<void>;
}

export const LINK_ACTIONS = ['connect', 'disconnect', 'reconnect'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

const STOP_LIMIT_MS = 12000;

/**
 * Queued reports of a connection that was stopped for a redeploy (not removed), by node id: a
 * modified deploy keeps node ids, so the new instance picks them up and nothing is failed.
 */
const handedOver = new Map<string, QueuedPublish[]>();

/** Where a connection keeps its queued reports across restarts: `<userDir>/iotda-at-queue/<node id>.jsonl`. */
export function queueStoreFile(userDir: string, nodeId: string): string {
  return path.join(userDir, 'iotda-at-queue', `${nodeId.replace(/[^\w.-]/g, '_')}.jsonl`);
}


/** The runtime's language as Node-RED picks it: settings.lang, else the locale environment. */
function runtimeLang(RED: RedAPI): string {
  const env = process.env;
  return String(RED.settings.lang || env.LC_ALL || env.LC_MESSAGES || env.LANG || 'en-US');
}

function intOr(v: unknown, dflt: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

export function registerMqttAtConnect(RED: RedAPI): void {
  const _ = (key: string, params?: Record<string, unknown>) => RED._(key, params);

  function MqttAtConnect(this: ConnectNode, config: ConnectDef) {
    RED.nodes.createNode(this, config);
    // Log lines and Catch messages name an unnamed node by its editor label, not its id.
    nameByLabel(this, connectionLabel({ ...config }));
    const node = this;
    const users = new Map<string, LinkUser>();
    let closing = false;
    let lastLogged = '';
    let store: QueueStore | undefined;

    node.deviceId = String(config.deviceId ?? '').trim();
    const modemNode = RED.nodes.getNode(config.modem) as ModemConfigNode | null;
    node.modemNode = modemNode ?? undefined;
    const host = String(config.host ?? '').trim();
    const port = intOr(config.port, 1883);
    const keepalive = intOr(config.keepalive, 120);
    const clientIndex = intOr(config.clientIndex, 0);
    const signType = intOr(config.signType, 0);
    const secret = node.credentials?.secret ?? '';
    const tlsChoice = tlsSettingOf(config, node.credentials?.caPem, _);

    if (!modemNode) node.invalid = _('iotda-at.errors.noModem');
    else if (modemNode.invalid) node.invalid = modemNode.invalid;
    else if (!host || /[\s/]/.test(host)) node.invalid = _('iotda-at.errors.invalidHost', { host });
    else if (!Number.isInteger(port) || port < 1 || port > 65535) node.invalid = _('iotda-at.errors.invalidBrokerPort', { value: String(config.port) });
    else if (!Number.isInteger(keepalive) || keepalive < 30 || keepalive > 1200) node.invalid = _('iotda-at.errors.invalidKeepalive', { value: String(config.keepalive) });
    else if (!Number.isInteger(clientIndex) || clientIndex < 0 || clientIndex > 5) node.invalid = _('iotda-at.errors.invalidClientIndex', { value: String(config.clientIndex) });
    else if (signType !== 0 && signType !== 1) node.invalid = _('iotda-at.errors.invalidSignType', { value: String(config.signType) });
    else if (!secret) node.invalid = _('iotda-at.errors.missingSecret');
    else if (tlsChoice.invalid !== undefined) node.invalid = tlsChoice.invalid;
    else {
      try {
        validateDeviceId(node.deviceId);
      } catch (err) {
        node.invalid = _('iotda-at.errors.invalidDeviceId', { reason: (err as Error).message });
      }
    }

    const view = (u: LinkUser): NodeStatus => {
      if (node.invalid) return { fill: 'red', shape: 'ring', text: node.invalid };
      const s: LinkStatus = node.link ? node.link.status : { state: 'idle', queued: 0 };
      return linkStatusView(s, _, u.queued?.() ?? 0, { tlsUnverified: tlsChoice.invalid === undefined && isUnverified(tlsChoice.tls) });
    };
    /** The status each user shows now: node.status() only when it changes (it costs a message to every editor). */
    const shown = new Map<string, string>();
    const show = (u: LinkUser, st: NodeStatus) => {
      const key = `${st.fill ?? ''}|${st.shape ?? ''}|${st.text ?? ''}`;
      if (shown.get(u.node.id) === key) return;
      shown.set(u.node.id, key);
      u.node.status(st);
    };
    node.refresh = (u) => show(u, view(u));

    node.control = async (action) => {
      if (typeof action !== 'string' || !(LINK_ACTIONS as readonly string[]).includes(action)) {
        throw new Error(_('iotda-at.errors.unknownAction', { action: String(action) }));
      }
      const link = node.link;
      if (node.invalid || !link) throw new Error(node.invalid ?? _('iotda-at.errors.noConnection'));
      if (closing) throw new Error(_('iotda-at.errors.closed'));
      if (action === 'disconnect') return link.hold();
      if (action === 'reconnect') await link.hold();
      link.release();
      try {
        await link.untilOnline();
      } catch (err) {
        const s = link.status;
        if (s.state === 'refused') throw new Error(refusedText(s, _));
        throw new Error(_('iotda-at.errors.actionInterrupted', { action, reason: (err as Error).message }));
      }
    };

    if (node.invalid) {
      node.error(node.invalid);
    } else {
      const floor = Number(RED.settings.mqttAtConnectReconnectTime ?? 5000) || 5000;
      const persist = config.persistQueue === undefined || config.persistQueue === '' ? true : config.persistQueue === true || config.persistQueue === 'true';
      const userDir = RED.settings.userDir as string | undefined;
      store = persist && userDir ? new QueueStore(queueStoreFile(userDir, node.id), (text) => node.warn(text)) : undefined;
      const link = new LinkSupervisor({
        modem: modemNode!.modem!,
        host,
        port,
        tls: tlsChoice.invalid === undefined ? tlsChoice.tls : false,
        deviceId: node.deviceId,
        secret,
        signType: signType as 0 | 1,
        // settings.js may give the host's clock as a function (a gateway whose clock is kept
        // elsewhere; tests set it wrong on purpose); sign type 1 prefers the network's time anyway.
        ...(typeof RED.settings.mqttAtConnectHostClock === 'function' ? { hostClock: RED.settings.mqttAtConnectHostClock as () => number } : {}),
        keepalive,
        clientIndex,
        reconnectFloorMs: floor,
        reconnectCeilingMs: Math.max(floor, 60000),
        // Below IoTDA's ~50 uplinks per second per device, which it acknowledges and then drops.
        ratePerSecond: Number(RED.settings.mqttAtConnectPublishRate ?? 40) || 40,
        ...(store ? { store } : {}),
        // A real serial port that does not answer: say what to check (none for sim: and tcp://).
        timeoutAdvice: serialTimeoutAdvice(modemNode!.portName, runtimeLang(RED)),
        log: (level, text) => {
          // A retrying link repeats itself every backoff: log each distinct reason once.
          if (level === 'warn') {
            const key = text.replace(/retrying in [\d.]+ s/, '');
            if (key === lastLogged) return;
            lastLogged = key;
            node.warn(`${node.deviceId}: ${text}`);
          } else if (level === 'debug') {
            node.debug(`${node.deviceId}: ${text}`);
          } else {
            lastLogged = '';
            node.log(`${node.deviceId}: ${text}`);
          }
        },
      });
      node.link = link;
      modemNode!.addLink(link);
      let wasOnline = false;
      link.on('status', (s: LinkStatus) => {
        // Sign type 1: which clock the login was signed with, in the runtime's language (sign-clock.ts).
        if (s.state === 'online' && !wasOnline && s.clock) node.log(`${node.deviceId}: ${_(`iotda-at.clock.${s.clock}`)}`);
        wasOnline = s.state === 'online';
        for (const u of users.values()) show(u, view(u));
      });
      const previous = handedOver.get(node.id);
      handedOver.delete(node.id);
      if (previous) link.adopt(previous);
      link.on('message', (m: DownlinkMessage) => {
        for (const u of users.values()) {
          if (!u.deliver || !u.accepts?.(m)) continue;
          try {
            u.deliver(m);
          } catch (err) {
            u.node.error(String((err as Error)?.message ?? err));
          }
        }
      });
    }

    node.register = (user) => {
      users.set(user.node.id, user);
      shown.delete(user.node.id);
      show(user, view(user));
      if (!node.link || closing) return;
      if (user.filter) node.link.subscribe(user.filter, 1).catch((err) => user.node.warn(String((err as Error).message)));
      node.link.connect();
    };

    node.deregister = (user, done, removed) => {
      users.delete(user.node.id);
      shown.delete(user.node.id);
      user.node.status({});
      const link = node.link;
      if (!link) return done();
      if (user.filter && ![...users.values()].some((u) => u.filter === user.filter)) {
        link.unsubscribe(user.filter).catch(() => undefined);
      }
      // Rule 2: disconnect only when removed and nobody is left; `done` after the disconnect.
      if (removed && users.size === 0 && !closing) {
        settleWithin(link.stop(), STOP_LIMIT_MS).finally(done);
        return;
      }
      done();
    };

    node.on('close', (removed: boolean, done: () => void) => {
      closing = true;
      const link = node.link;
      if (!link) return done();
      // Redeployed, not removed: the queued reports go to the new instance (same node id).
      settleWithin(link.dispose({ handOver: !removed }), STOP_LIMIT_MS).finally(() => {
        if (!removed) {
          const items = link.takeQueue();
          if (items.length > 0) {
            handedOver.set(node.id, items);
            // A redeploy's new instance takes them; after a shutdown only the queue store has them.
            node.log(_(store ? 'iotda-at.queue.keptOnDisk' : 'iotda-at.queue.keptInMemory', { count: items.length }));
          }
        }
        store?.close();
        modemNode?.removeLink(link);
        done();
      });
    });
  }

  RED.nodes.registerType('mqtt-at-connect', MqttAtConnect, {
    credentials: { secret: { type: 'password' }, caPem: { type: 'text' } },
    settings: { mqttAtConnectReconnectTime: { value: 5000, exportable: true }, mqttAtConnectPublishRate: { value: 40, exportable: true } },
  });
}

/** Which downlinks an at-subscribe kind receives. */
export function downlinkFilter(kind: string, filter?: string): (m: DownlinkMessage) => boolean {
  switch (kind) {
    case 'messages':
      return (m) => m.kind === 'message';
    case 'commands':
      return (m) => m.kind === 'command';
    case 'property-set':
      return (m) => m.kind === 'property-set';
    case 'property-get':
      return (m) => m.kind === 'property-get';
    case 'events':
      return (m) => m.kind === 'event';
    case 'raw':
      return (m) => !!filter && topicMatches(filter, m.topic);
    default:
      return () => false;
  }
}
