/**
 * Turns a downlink on the modem into a DownlinkMessage for the flow, dropping only what is
 * certainly a re-send: a command or property request whose request id was seen within the
 * de-dup window (the platform re-sends an unacknowledged QoS 1 downlink and the modem URCs hide
 * the DUP flag). A request already answered gets the stored answer again instead of being run
 * twice (a relay must not switch twice). Plain messages are never de-duplicated: their bodies
 * are the application's, and two equal ones are two messages.
 */
import { parseDownlinkTopic, parseUplinkTopic, type DownlinkKind } from '../iotda/topics';
import { DownlinkDedup, type StoredAnswer } from './downlink-dedup';

export interface DownlinkMessage {
  topic: string;
  payload: Buffer;
  kind: DownlinkKind;
  deviceId?: string;
  requestId?: string;
}

const REQUEST_KINDS: ReadonlySet<DownlinkKind> = new Set(['command', 'property-set', 'property-get']);
const RESPONSE_KINDS = new Set(['command-response', 'property-set-response', 'property-get-response']);

export class DownlinkRouter {
  private readonly dedup: DownlinkDedup;

  constructor(
    /** A new downlink for the flow. */
    private readonly deliver: (m: DownlinkMessage) => void,
    /** Re-sends a stored answer to a duplicate request. */
    private readonly resend: (answer: StoredAnswer) => void,
    windowMs?: number,
  ) {
    this.dedup = new DownlinkDedup(512, windowMs);
  }

  route(topic: string, payload: Buffer): void {
    const t = parseDownlinkTopic(topic);
    if (t.requestId && REQUEST_KINDS.has(t.kind)) {
      const verdict = this.dedup.request(t.requestId);
      if (verdict.kind === 'in-progress') return;
      if (verdict.kind === 'answered') {
        this.resend(verdict.answer);
        return;
      }
    }
    const msg: DownlinkMessage = { topic, payload, kind: t.kind };
    if (t.deviceId) msg.deviceId = t.deviceId;
    if (t.requestId) msg.requestId = t.requestId;
    this.deliver(msg);
  }

  /** Remembers a published response, so a re-sent request gets it again. */
  published(topic: string, payload: Buffer, qos: 0 | 1): void {
    const up = parseUplinkTopic(topic);
    if (up.requestId && RESPONSE_KINDS.has(up.kind)) this.dedup.answered(up.requestId, { topic, payload, qos });
  }
}
