/**
 * Turns an at-publish input msg into the topic and bytes of one IoTDA uplink. Pure: no
 * Node-RED, no I/O, so every kind is table-tested. Mustache renders the optional topic and
 * payload templates over the msg. For the kinds whose body is JSON every value is escaped as a
 * JSON string body (json-template.ts); message and raw templates are text and their values are
 * inserted as they are (not HTML-escaped: this is not HTML). Nothing here becomes an AT line:
 * the driver escapes the topic with its dialect's function.
 */
import Mustache from 'mustache';
import { IotdaError } from '../iotda/errors';
import { isAtTimeout } from '../link/idle-probe';
import { IotdaTopics } from '../iotda/topics';
import {
  buildCommandResponse,
  buildEventsUp,
  buildPropertyGetResponse,
  buildPropertyReport,
  buildPropertySetResponse,
  encodeUplink,
  type IotdaEvent,
  type JsonObject,
} from '../iotda/payloads';
import { renderJsonTemplate } from './json-template';
import { unserialisableReason } from './serialisable';
import { TranslatableError } from './translatable-error';

export const PUBLISH_KINDS = ['property', 'message', 'command-response', 'property-set-response', 'property-get-response', 'event', 'raw'] as const;
export type PublishKind = (typeof PUBLISH_KINDS)[number];

export interface UplinkSpec {
  kind: PublishKind;
  deviceId: string;
  /** Config value; msg.serviceId overrides it. */
  serviceId?: string;
  /** Raw kind: mustache topic template (empty = msg.topic). */
  topic?: string;
  /** Optional mustache payload template; replaces msg.payload when set. */
  template?: string;
  /** Largest body the modem can carry. */
  maxBytes?: number;
}

export interface Uplink {
  topic: string;
  payload: Buffer;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

function render(template: string, msg: Record<string, unknown>): string {
  return Mustache.render(template, msg, {}, { escape: (v: unknown) => String(v) });
}

/** The payload the kind works on: the rendered template (JSON when it parses) or msg.payload. */
function inputOf(spec: UplinkSpec, msg: Record<string, unknown>): unknown {
  if (!spec.template) return msg.payload;
  if (spec.kind === 'message' || spec.kind === 'raw') return render(spec.template, msg);
  return renderJsonTemplate(spec.template, msg);
}

function requestIdOf(kind: PublishKind, msg: Record<string, unknown>): string {
  const id = msg.requestId;
  if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length === 0) {
    throw new TranslatableError('iotda-at.errors.missingRequestId', { kind });
  }
  return String(id);
}

function body(spec: UplinkSpec, msg: Record<string, unknown>, serviceId: string): { topic: string; value: object | string | Buffer } {
  const p = inputOf(spec, msg);
  const id = spec.deviceId;
  switch (spec.kind) {
    case 'property': {
      if (!isObject(p)) throw new IotdaError('bad-payload', 'msg.payload must be an object of property values');
      return { topic: IotdaTopics.propertiesReport(id), value: buildPropertyReport(serviceId, p) };
    }
    case 'message': {
      if (p === undefined || p === null) throw new IotdaError('bad-payload', 'msg.payload is empty');
      return { topic: IotdaTopics.messagesUp(id), value: typeof p === 'number' || typeof p === 'boolean' ? String(p) : (p as object) };
    }
    case 'command-response': {
      const topic = IotdaTopics.commandResponse(id, requestIdOf(spec.kind, msg));
      if (p === undefined || p === null) return { topic, value: buildCommandResponse({}) };
      if (!isObject(p)) throw new IotdaError('bad-payload', 'a command response is an object such as {"result_code":0,"paras":{}}');
      if ('result_code' in p) {
        const r = buildCommandResponse({ resultCode: p.result_code as number, responseName: p.response_name as string | undefined, paras: p.paras as JsonObject | undefined });
        return { topic, value: r };
      }
      return { topic, value: buildCommandResponse({ paras: p }) };
    }
    case 'property-set-response': {
      const topic = IotdaTopics.propertiesSetResponse(id, requestIdOf(spec.kind, msg));
      if (p === undefined || p === null) return { topic, value: buildPropertySetResponse({}) };
      if (!isObject(p)) throw new IotdaError('bad-payload', 'a property-set response is an object such as {"result_code":0}');
      return { topic, value: buildPropertySetResponse({ resultCode: p.result_code as number | undefined, resultDesc: p.result_desc as string | undefined }) };
    }
    case 'property-get-response': {
      const topic = IotdaTopics.propertiesGetResponse(id, requestIdOf(spec.kind, msg));
      if (Array.isArray(p)) return { topic, value: buildPropertyGetResponse(p) };
      if (!isObject(p)) throw new IotdaError('bad-payload', 'a property-get response is {services:[...]} or an object of property values');
      if ('services' in p) return { topic, value: buildPropertyGetResponse(p as never) };
      return { topic, value: buildPropertyGetResponse({ serviceId, properties: p }) };
    }
    case 'event': {
      if (!isObject(p) && !Array.isArray(p)) throw new IotdaError('bad-payload', 'an event is an object {event_type, paras} or {services:[...]}');
      const list = (Array.isArray(p) ? p : isObject(p) && Array.isArray(p.services) ? p.services : [p]) as JsonObject[];
      const events = list.map((e) => ({ service_id: serviceId, ...e }) as unknown as IotdaEvent);
      return { topic: IotdaTopics.eventsUp(id), value: buildEventsUp(events) };
    }
    case 'raw': {
      const topic = spec.topic ? render(spec.topic, msg) : typeof msg.topic === 'string' ? msg.topic : '';
      if (!topic) throw new TranslatableError('iotda-at.errors.invalidTopic', { topic, reason: 'empty' });
      if (/[+#\u0000]/.test(topic)) throw new TranslatableError('iotda-at.errors.invalidTopic', { topic, reason: 'a publish topic cannot contain + # or NUL' });
      if (p === undefined || p === null) throw new IotdaError('bad-payload', 'msg.payload is empty');
      return { topic, value: typeof p === 'number' || typeof p === 'boolean' ? String(p) : (p as object) };
    }
    default:
      throw new TranslatableError('iotda-at.errors.invalidKind', { kind: String(spec.kind) });
  }
}

/** Builds the uplink or throws TranslatableError / IotdaError with the reason. */
export function buildUplink(spec: UplinkSpec, msg: Record<string, unknown>): Uplink {
  const serviceId = typeof msg.serviceId === 'string' && msg.serviceId ? msg.serviceId : (spec.serviceId ?? '');
  const { topic, value } = body(spec, msg, serviceId);
  const unserialisable = unserialisableReason(value);
  if (unserialisable) throw new TranslatableError('iotda-at.errors.invalidPayload', { reason: unserialisable });
  return { topic, payload: encodeUplink(value, spec.maxBytes) };
}

/**
 * Maps any error of the publish path to a catalog key and its parameters. `timeoutAdvice` (what
 * to check on a real serial port, serialTimeoutAdvice(); none for sim:/tcp:// ports) follows the
 * reason of a publish that failed on an AT timeout, also one wrapped in the report's last attempt.
 */
export function translatePublishError(err: unknown, model: string, timeoutAdvice?: string): { key: string; params: Record<string, unknown> } {
  const t = translate(err, model);
  if (!timeoutAdvice || !isAtTimeout(err) || typeof t.params.reason !== 'string') return t;
  return { key: t.key, params: { ...t.params, reason: `${t.params.reason} ${timeoutAdvice}` } };
}

function translate(err: unknown, model: string): { key: string; params: Record<string, unknown> } {
  if (err instanceof TranslatableError) return { key: err.key, params: err.params };
  const e = err as { name?: string; code?: string; message?: string; meaning?: string };
  const reason = e?.message ?? String(err);
  if (e?.name === 'IotdaError') {
    if (e.code === 'payload-too-large') {
      const m = /payload is (\d+) bytes, the limit is (\d+)/.exec(reason);
      return { key: 'iotda-at.errors.payloadTooLarge', params: { size: m?.[1] ?? '?', max: m?.[2] ?? '?', model } };
    }
    if (e.code === 'topic-too-long' || e.code === 'bad-device-id') return { key: 'iotda-at.errors.invalidTopic', params: { topic: '', reason } };
    return { key: 'iotda-at.errors.invalidPayload', params: { reason } };
  }
  if (e?.name === 'PayloadRejectedError') return { key: 'iotda-at.errors.unsupportedBytes', params: { model, reason: e.meaning ?? reason } };
  if (e?.name === 'LinkError') {
    const byCode: Record<string, string> = {
      'not-connected': 'iotda-at.errors.notConnected',
      'queue-disabled': 'iotda-at.errors.queueDisabled',
      'queue-full': 'iotda-at.errors.queueFull',
      closed: 'iotda-at.errors.closed',
      'auth-failed': 'iotda-at.errors.notConnected',
      'attempts-exhausted': 'iotda-at.errors.attemptsExhausted',
    };
    const l = err as { limit?: number; attempts?: number };
    return { key: byCode[e.code ?? ''] ?? 'iotda-at.errors.linkFailed', params: { reason, max: l.limit ?? '', attempts: l.attempts ?? '' } };
  }
  if (e?.name === 'AtTimeoutError') return { key: 'iotda-at.errors.timeout', params: { reason } };
  if (e?.name === 'ModemError' || e?.name === 'AtCommandError') return { key: 'iotda-at.errors.modemRefused', params: { reason } };
  return { key: 'iotda-at.errors.linkFailed', params: { reason } };
}
