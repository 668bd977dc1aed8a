/**
 * `at-subscribe`: downlinks of one kind → msgs. Commands and property requests carry
 * msg.requestId, so the msg (with a new payload) can go straight into an at-publish of the
 * matching response kind.
 */
import { parseDownlink } from '../iotda/payloads';
import type { DownlinkMessage } from '../link/link-supervisor';
import { downlinkFilter, type ConnectNode, type LinkUser } from './mqtt-at-connect';
import type { NodeMessage, RedAPI, RedNode } from './node-red-api';
import { editorText } from './status-view';
import { subscribeLabel, nameByLabel } from './node-label';

export const SUBSCRIBE_KINDS = ['messages', 'commands', 'property-set', 'property-get', 'events', 'raw'] as const;

export interface SubscribeDef {
  id: string;
  name?: string;
  connection: string;
  kind: string;
  topic?: string;
  output?: string;
}

/** msg.payload in the chosen form: parsed JSON when it parses (auto), a string, or the bytes. */
export function payloadAs(output: string, payload: Buffer): unknown {
  if (output === 'buffer') return Buffer.from(payload);
  const text = payload.toString('utf8');
  if (output === 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Builds the output msg of a downlink. */
export function downlinkMsg(m: DownlinkMessage, output: string): NodeMessage {
  const msg: NodeMessage = { topic: m.topic, payload: payloadAs(output, m.payload) };
  if (m.deviceId) msg.deviceId = m.deviceId;
  if (m.requestId) msg.requestId = m.requestId;
  if (m.kind === 'command') {
    const parsed = parseDownlink('command', m.payload);
    const v = parsed.value as { service_id?: string; command_name?: string; paras: Record<string, unknown> };
    msg.command = { service_id: v.service_id, command_name: v.command_name, paras: v.paras };
  }
  return msg;
}

export function registerAtSubscribe(RED: RedAPI): void {
  function AtSubscribe(this: RedNode, config: SubscribeDef) {
    RED.nodes.createNode(this, config);
    // Log lines and Catch messages name an unnamed node by its editor label, not its id.
    nameByLabel(this, subscribeLabel(RED, { ...config }));
    const node = this;
    const connection = RED.nodes.getNode(config.connection) as ConnectNode | null;
    const kind = String(config.kind ?? 'messages');
    const output = ['auto', 'string', 'buffer'].includes(String(config.output)) ? String(config.output) : 'auto';
    const filter = kind === 'raw' ? String(config.topic ?? '').trim() : undefined;

    if (!connection) {
      node.status({ fill: 'red', shape: 'ring', text: editorText('iotda-at.errors.noConnection') });
      return;
    }
    if (!(SUBSCRIBE_KINDS as readonly string[]).includes(kind)) {
      const text = RED._('iotda-at.errors.invalidKind', { kind });
      node.status({ fill: 'red', shape: 'ring', text });
      node.error(text);
      return;
    }
    if (kind === 'raw' && (!filter || !validFilter(filter))) {
      const text = RED._('iotda-at.errors.invalidTopic', { topic: filter ?? '', reason: 'not a valid MQTT topic filter' });
      node.status({ fill: 'red', shape: 'ring', text });
      node.error(text);
      return;
    }
    const user: LinkUser = {
      node,
      filter,
      accepts: downlinkFilter(kind, filter),
      deliver: (m) => {
        let msg: NodeMessage;
        try {
          msg = downlinkMsg(m, output);
        } catch (err) {
          node.error(RED._('iotda-at.errors.invalidPayload', { reason: (err as Error).message }), { topic: m.topic, payload: m.payload });
          return;
        }
        node.send(msg);
      },
    };
    connection.register(user);
    node.on('close', (removed: boolean, done: () => void) => connection.deregister(user, done, removed));
  }

  RED.nodes.registerType('at-subscribe', AtSubscribe);
}

/** MQTT filter rules: `#` only as the whole last level, `+` only as a whole level. */
function validFilter(f: string): boolean {
  const levels = f.split('/');
  return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+'));
}
