/**
 * LinkStatus → Node-RED node status (NODERED.md §6): yellow ring while connecting with the
 * step, green dot online with the signal, red ring with the reason, yellow dot `queued N`
 * for a publisher with work waiting, grey ring when stopped.
 */
import type { LinkStatus } from '../link/link-supervisor';
import type { NodeStatus } from './node-red-api';

type Translate = (key: string, params?: Record<string, unknown>) => string;

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

export function linkStatusView(s: LinkStatus, _: Translate, queued = 0): NodeStatus {
  if (queued > 0 && s.state !== 'online') {
    return { fill: 'yellow', shape: 'dot', text: _('iotda-at.status.queued', { count: queued }) };
  }
  switch (s.state) {
    case 'online':
      return s.signal !== undefined
        ? { fill: 'green', shape: 'dot', text: _('iotda-at.status.connectedSignal', { signal: s.signal }) }
        : { fill: 'green', shape: 'dot', text: _('iotda-at.status.connected') };
    case 'opening-port':
    case 'init':
    case 'attaching':
    case 'opening-mqtt':
    case 'connecting':
    case 'subscribing': {
      const step = s.step && STEP_KEYS[s.step] ? _(`iotda-at.status.step.${STEP_KEYS[s.step]}`) : undefined;
      return {
        fill: 'yellow',
        shape: 'ring',
        text: step ? _('iotda-at.status.connectingStep', { step }) : _('iotda-at.status.connecting'),
      };
    }
    case 'backoff':
      return { fill: 'red', shape: 'ring', text: shorten(_('iotda-at.status.error', { reason: s.reason ?? '' })) };
    case 'stopping':
      return { fill: 'grey', shape: 'ring', text: _('iotda-at.status.disconnected') };
    default:
      return { fill: 'grey', shape: 'ring', text: _('iotda-at.status.stopped') };
  }
}
