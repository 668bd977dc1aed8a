/**
 * LinkStatus → Node-RED node status (docs/node-red.md §6): yellow ring while connecting with the
 * step, green dot online with the signal, red ring with the reason, yellow dot `queued N`
 * for a publisher with work waiting, grey ring when stopped or held down by the flow.
 *
 * Status texts are shown in the EDITOR USER's language, not the runtime's. The editor
 * translates a status text that starts with a letter through the node's message catalog
 * (`node._(text, {defaultValue: text})`, red.js "status/#"), so we send catalog ids instead of
 * text rendered with the runtime's `RED._`:
 *
 * - a fixed text is its fully qualified id, `node-red-contrib-iotda-at/iotda-at:iotda-at.status.stopped`
 *   (qualified so it also translates where the editor asks another node's catalog, e.g. a
 *   subflow instance relaying the status);
 * - a text with numbers (signal %, queue length) uses i18next nesting:
 *   `MQTT $t(<ns>:iotda-at.status.connectedSignal, {"signal":80})`. The editor finds no key of
 *   that name, falls back to the text itself and resolves the `$t(…)` with the values. The
 *   leading word is needed because the editor only translates texts that start with a letter
 *   and leaves everything outside `$t(…)` as it is; "MQTT" reads the same in both languages.
 *
 * Trade-off: a Status node gets the raw text (`msg.status.text`), i.e. the id or the `$t(…)`
 * form, the same for every runtime language, as core nodes do with `node-red:common.status.*`
 * (node-red#2429: the catalog id is the only way to localise per editor user). Error reasons
 * (modem and link failures) stay runtime-language text: they come from the modem and the link
 * in plain words and carry arbitrary text, which must not go inside `$t(…)`.
 */
import type { LinkStatus } from '../link/link-supervisor';
import type { NodeStatus } from './node-red-api';

type Translate = (key: string, params?: Record<string, unknown>) => string;

/**
 * The namespace the editor files our catalog under: `<package name>/<node set name>`, the set
 * name being the key in package.json "node-red.nodes". A test keeps it in step with package.json.
 */
export const CATALOG_NS = 'node-red-contrib-iotda-at/iotda-at';

/** Word in front of a `$t(…)` text (see above): the same in English and Chinese. */
export const NESTED_LEAD = 'MQTT';

/** A fixed status text the editor translates: the fully qualified catalog id of `key`. */
export function editorText(key: string): string {
  return `${CATALOG_NS}:${key}`;
}

/**
 * A status text with numbers the editor translates (i18next nesting). Numbers only: a string
 * could hold `)` or quotes and end the `$t(…)` early; anything not finite becomes 0.
 */
export function editorTextWith(key: string, numbers: Record<string, number>): string {
  const values: Record<string, number> = {};
  for (const [name, n] of Object.entries(numbers)) values[name] = Number.isFinite(n) ? n : 0;
  return `${NESTED_LEAD} $t(${editorText(key)}, ${JSON.stringify(values)})`;
}

/** Link steps → the catalog's connectingStep.* keys (PDP activation is "network" to a user). */
const STEP_KEYS: Record<string, string> = {
  port: 'port',
  modem: 'modem',
  sim: 'sim',
  network: 'network',
  pdp: 'network',
  wifi: 'wifi',
  mqtt: 'mqtt',
  subscribe: 'subscribe',
};

/** Status texts should stay short; the full reason is in the log. */
function shorten(text: string, max = 48): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `_` renders the one runtime-language text here, the error reason. */
/** The text for a link that IoTDA refused (CONNACK 4/5): the status and a failed msg.action say the same. */
export function refusedText(s: LinkStatus, _: Translate): string {
  return _('iotda-at.errors.authFailed', { code: s.connack ?? '?', reason: s.reason ?? '' });
}

/**
 * The online text: connected, with the signal when known, "(TLS unverified)" when the connection
 * encrypts without checking the server, and for sign type 1 the clock the login was signed with
 * (sign-clock.ts). The clock is a second nested `$t(…)` after the first: the editor resolves
 * every one in the text, and the catalog holds its leading comma.
 */
function onlineText(s: LinkStatus, tlsUnverified: boolean): string {
  const key = `iotda-at.status.connected${tlsUnverified ? 'Unverified' : ''}${s.signal !== undefined ? 'Signal' : ''}`;
  if (s.clock === undefined) return s.signal !== undefined ? editorTextWith(key, { signal: s.signal }) : editorText(key);
  const connected = editorTextWith(key, s.signal !== undefined ? { signal: s.signal } : {});
  return `${connected}$t(${editorText(`iotda-at.status.clockSuffix.${s.clock}`)})`;
}

export interface StatusViewOptions {
  /** The connection encrypts without checking the server (tls-choice.ts). */
  tlsUnverified?: boolean;
}

export function linkStatusView(s: LinkStatus, _: Translate, queued = 0, opts: StatusViewOptions = {}): NodeStatus {
  if (s.state === 'refused') return { fill: 'red', shape: 'ring', text: refusedText(s, _) };
  if (s.state === 'held') {
    // Taken down by a msg.action "disconnect": grey like stopped, saying who did it.
    return {
      fill: 'grey',
      shape: 'ring',
      text: queued > 0 ? editorTextWith('iotda-at.action.heldQueued', { count: queued }) : editorText('iotda-at.action.held'),
    };
  }
  // Another client keeps taking the device over: say so in full (the device id is the point),
  // also on a publisher with reports waiting.
  if (s.state === 'backoff' && s.takenOver) return { fill: 'red', shape: 'ring', text: _('iotda-at.status.takenOver', { device: s.takenOver }) };
  if (queued > 0 && s.state !== 'online') {
    return { fill: 'yellow', shape: 'dot', text: editorTextWith('iotda-at.status.queued', { count: queued }) };
  }
  switch (s.state) {
    case 'online':
      return { fill: 'green', shape: 'dot', text: onlineText(s, opts.tlsUnverified === true) };
    case 'opening-port':
    case 'init':
    case 'attaching':
    case 'opening-mqtt':
    case 'connecting':
    case 'subscribing': {
      const step = s.step ? STEP_KEYS[s.step] : undefined;
      return {
        fill: 'yellow',
        shape: 'ring',
        text: editorText(step ? `iotda-at.status.connectingStep.${step}` : 'iotda-at.status.connecting'),
      };
    }
    case 'backoff':
      return { fill: 'red', shape: 'ring', text: shorten(_('iotda-at.status.error', { reason: s.summary ?? s.reason ?? '' })) };
    case 'stopping':
      return { fill: 'grey', shape: 'ring', text: editorText('iotda-at.status.disconnected') };
    default:
      return { fill: 'grey', shape: 'ring', text: editorText('iotda-at.status.stopped') };
  }
}
