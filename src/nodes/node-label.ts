/**
 * Names an unnamed node by the label the editor shows for it. Node-RED prefixes log lines with
 * `[type:name]` and fills a Catch node's `error.source.name` from the node's name, falling back
 * to the node id, which a user cannot find on the canvas. These mirror the `label` functions in
 * nodes/iotda-at.html (kind names from the same catalog).
 */
import type { RedAPI, RedNode } from './node-red-api';

type Config = Record<string, unknown>;

function text(v: unknown): string {
  return v === undefined || v === null ? '' : String(v).trim();
}

/** The kind's name from the catalog; its id where the catalog is not loaded (RED._ returns the key). */
function kindName(RED: RedAPI, section: string, kind: string): string {
  const key = `${section}.kind.${kind}`;
  const name = RED._(key);
  return name && name !== key ? name : kind;
}

export function modemLabel(c: Config): string {
  const model = text(c.model) ? text(c.model).toUpperCase() : 'modem';
  return text(c.port) ? `${model} @ ${text(c.port)}` : model;
}

export function connectionLabel(c: Config): string {
  const deviceId = text(c.deviceId);
  if (deviceId && text(c.host)) return `${deviceId}@${text(c.host)}:${text(c.port)}`;
  return deviceId || 'IoTDA';
}

export function publishLabel(RED: RedAPI, c: Config): string {
  const kind = text(c.kind) || 'property';
  const kindText = kindName(RED, 'at-publish', kind);
  if (kind === 'property' && text(c.serviceId)) return `${kindText} \u2192 ${text(c.serviceId)}`;
  if (kind === 'raw' && text(c.topic)) return `${kindText} \u2192 ${text(c.topic)}`;
  return `${kindText} \u2192 IoTDA`;
}

export function subscribeLabel(RED: RedAPI, c: Config): string {
  const kind = text(c.kind) || 'messages';
  const kindText = kindName(RED, 'at-subscribe', kind);
  if (kind === 'raw' && text(c.topic)) return `${kindText} \u2190 ${text(c.topic)}`;
  return `${kindText} \u2190 IoTDA`;
}

/** Call right after createNode: a node the user named keeps its name. */
export function nameByLabel(node: RedNode, label: string): void {
  if (!text(node.name)) node.name = label;
}
