/**
 * IoTDA JSON payload builders and downlink parsers (docs/iotda.md §1.6).
 * Builders validate what the platform requires (`service_id`, `properties` objects) so a
 * mistake surfaces in the flow, not as a silently discarded report.
 */
import { IotdaError } from './errors';
import type { DownlinkKind } from './topics';

export type JsonObject = Record<string, unknown>;

export interface ServiceProperties {
  service_id: string;
  properties: JsonObject;
  event_time?: string;
}

export interface PropertyReport {
  services: ServiceProperties[];
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** `yyyyMMdd'T'HHmmss'Z'` in UTC. */
export function formatEventTime(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new IotdaError('bad-payload', 'event time is not a valid date');
  }
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function eventTimeOf(t: Date | string | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (t instanceof Date) return formatEventTime(t);
  if (/^\d{8}T\d{6}Z$/.test(t) || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(t)) return t;
  throw new IotdaError('bad-payload', `event time ${JSON.stringify(t)} is neither yyyyMMddTHHmmssZ nor yyyy-MM-ddTHH:mm:ss.SSSZ`);
}

function checkService(s: unknown, where: string): ServiceProperties {
  if (!isObject(s)) throw new IotdaError('bad-payload', `${where} is not an object`);
  if (typeof s.service_id !== 'string' || s.service_id.length === 0) {
    throw new IotdaError('bad-payload', `${where}.service_id is missing`);
  }
  if (!isObject(s.properties)) throw new IotdaError('bad-payload', `${where}.properties must be an object`);
  if (s.event_time !== undefined) eventTimeOf(s.event_time as string);
  return s as unknown as ServiceProperties;
}

function checkServices(services: unknown): ServiceProperties[] {
  if (!Array.isArray(services) || services.length === 0) {
    throw new IotdaError('bad-payload', 'services must be a non-empty array');
  }
  return services.map((s, i) => checkService(s, `services[${i}]`));
}

/**
 * T3 report. `values` is the property object for `serviceId`; a value that already has
 * `services` is a complete report and passes through after validation.
 */
export function buildPropertyReport(
  serviceId: string,
  values: JsonObject,
  opts: { eventTime?: Date | string } = {},
): PropertyReport {
  if (isObject(values) && 'services' in values) {
    return { ...values, services: checkServices(values.services) };
  }
  if (typeof serviceId !== 'string' || serviceId.length === 0) {
    throw new IotdaError('bad-payload', 'a property report needs a service id');
  }
  if (!isObject(values)) throw new IotdaError('bad-payload', 'property values must be an object');
  const entry: ServiceProperties = { service_id: serviceId, properties: values };
  const eventTime = eventTimeOf(opts.eventTime);
  if (eventTime) entry.event_time = eventTime;
  return { services: [entry] };
}

/** T4 gateway report for up to 100 sub-devices. */
export function buildGatewayReport(devices: { device_id: string; services: ServiceProperties[] }[]): JsonObject {
  if (!Array.isArray(devices) || devices.length === 0 || devices.length > 100) {
    throw new IotdaError('bad-payload', 'a gateway report carries 1 to 100 sub-devices');
  }
  return { devices: devices.map((d) => ({ device_id: d.device_id, services: checkServices(d.services) })) };
}

/** T6. An absent result code counts as 0 on the platform; we always write it. */
export function buildCommandResponse(r: { resultCode?: number; responseName?: string; paras?: JsonObject }): JsonObject {
  const out: JsonObject = { result_code: r.resultCode ?? 0 };
  if (!Number.isInteger(out.result_code)) throw new IotdaError('bad-payload', 'result code must be an integer');
  if (r.responseName !== undefined) out.response_name = r.responseName;
  if (r.paras !== undefined) {
    if (!isObject(r.paras)) throw new IotdaError('bad-payload', 'command response paras must be an object');
    out.paras = r.paras;
  }
  return out;
}

/** T8. */
export function buildPropertySetResponse(r: { resultCode?: number; resultDesc?: string }): JsonObject {
  const out: JsonObject = { result_code: r.resultCode ?? 0 };
  if (!Number.isInteger(out.result_code)) throw new IotdaError('bad-payload', 'result code must be an integer');
  if (r.resultDesc !== undefined) out.result_desc = r.resultDesc;
  return out;
}

/** T10: either a services array or one `{serviceId, properties}`. */
export function buildPropertyGetResponse(
  input: ServiceProperties[] | { services: ServiceProperties[] } | { serviceId: string; properties: JsonObject; eventTime?: Date | string },
): PropertyReport {
  if (Array.isArray(input)) return { services: checkServices(input) };
  if ('services' in input) return { services: checkServices(input.services) };
  return buildPropertyReport(input.serviceId, input.properties, { eventTime: input.eventTime });
}

export interface IotdaEvent {
  service_id: string;
  event_type: string;
  paras: JsonObject;
  event_time?: string;
  event_id?: string;
}

/** T13 envelope; accepts one event or several. */
export function buildEventsUp(events: IotdaEvent | IotdaEvent[], objectDeviceId?: string): JsonObject {
  const list = Array.isArray(events) ? events : [events];
  if (list.length === 0) throw new IotdaError('bad-payload', 'an event report needs at least one event');
  list.forEach((e, i) => {
    if (!isObject(e) || typeof e.service_id !== 'string' || typeof e.event_type !== 'string' || !isObject(e.paras)) {
      throw new IotdaError('bad-payload', `events[${i}] needs service_id, event_type and a paras object`);
    }
  });
  const out: JsonObject = { services: list };
  if (objectDeviceId !== undefined) out.object_device_id = objectDeviceId;
  return out;
}

/** `$time_sync` request; device_send_time is ms since the epoch. */
export function buildTimeSyncRequest(now: Date = new Date()): JsonObject {
  return buildEventsUp({
    service_id: '$time_sync',
    event_type: 'time_sync_request',
    paras: { device_send_time: now.getTime() },
  });
}

export interface TimeSyncResponse {
  device_send_time: number;
  server_recv_time: number;
  server_send_time: number;
}

/**
 * §1.6: device time = (server_recv_time + server_send_time + device_recv_time − device_send_time) / 2.
 * `device_recv_time` is the local clock when the response arrived. Returns ms since the epoch.
 */
export function deviceTimeFromSync(paras: TimeSyncResponse, deviceRecvTime: number | Date = Date.now()): number {
  const recv = deviceRecvTime instanceof Date ? deviceRecvTime.getTime() : deviceRecvTime;
  for (const k of ['device_send_time', 'server_recv_time', 'server_send_time'] as const) {
    if (typeof paras?.[k] !== 'number') throw new IotdaError('bad-downlink', `time sync response lacks ${k}`);
  }
  return Math.round((paras.server_recv_time + paras.server_send_time + recv - paras.device_send_time) / 2);
}

/** 1 MB, the platform's PUBLISH limit (§1.3). */
export const MAX_PUBLISH_BYTES = 1024 * 1024;

/** Serialises an uplink body; fails with the actual and allowed sizes instead of truncating. */
export function encodeUplink(value: object | string | Buffer, maxBytes = MAX_PUBLISH_BYTES): Buffer {
  let buf: Buffer;
  if (Buffer.isBuffer(value)) buf = value;
  else if (typeof value === 'string') buf = Buffer.from(value, 'utf8');
  else if (typeof value === 'object' && value !== null) buf = Buffer.from(JSON.stringify(value), 'utf8');
  else throw new IotdaError('bad-payload', `cannot send a ${value === null ? 'null' : typeof value} payload`);
  if (buf.length > maxBytes) {
    throw new IotdaError('payload-too-large', `payload is ${buf.length} bytes, the limit is ${maxBytes} bytes`);
  }
  return buf;
}

export interface CommandRequest {
  object_device_id?: string;
  service_id?: string;
  command_name?: string;
  paras: JsonObject;
}
export interface PropertySetRequest {
  object_device_id?: string;
  services: { service_id: string; properties: JsonObject }[];
}
export interface PropertyGetRequest {
  object_device_id?: string;
  service_id?: string;
}
export interface ShadowResponse {
  object_device_id?: string;
  shadow: JsonObject[];
}
export interface EventsDown {
  object_device_id?: string;
  services: IotdaEvent[];
}

export type ParsedDownlink =
  | { kind: 'command'; value: CommandRequest }
  | { kind: 'property-set'; value: PropertySetRequest }
  | { kind: 'property-get'; value: PropertyGetRequest }
  | { kind: 'shadow-response'; value: ShadowResponse }
  | { kind: 'event'; value: EventsDown }
  | { kind: 'message' | 'custom' | 'unknown'; value: unknown };

function parseJson(kind: string, payload: Buffer): unknown {
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new IotdaError('bad-downlink', `${kind} payload is not JSON: ${(err as Error).message} (${text.slice(0, 80)})`);
  }
}

/**
 * Parses a downlink body by its topic kind. Messages may be raw bytes chosen by the
 * application, so a non-JSON message is returned as a string instead of failing.
 */
export function parseDownlink(kind: DownlinkKind, payload: Buffer): ParsedDownlink {
  switch (kind) {
    case 'command': {
      const v = parseJson(kind, payload);
      if (!isObject(v)) throw new IotdaError('bad-downlink', 'command payload is not a JSON object');
      // §1.6: paras is always an object, service_id and command_name may be absent.
      const paras = v.paras === undefined ? {} : v.paras;
      if (!isObject(paras)) throw new IotdaError('bad-downlink', 'command paras is not an object');
      return { kind, value: { ...v, paras } as CommandRequest };
    }
    case 'property-set': {
      const v = parseJson(kind, payload);
      if (!isObject(v) || !Array.isArray(v.services)) {
        throw new IotdaError('bad-downlink', 'property-set payload has no services array');
      }
      v.services.forEach((s, i) => {
        if (!isObject(s) || typeof s.service_id !== 'string' || !isObject(s.properties)) {
          throw new IotdaError('bad-downlink', `property-set services[${i}] needs service_id and properties`);
        }
      });
      return { kind, value: v as unknown as PropertySetRequest };
    }
    case 'property-get': {
      const v = parseJson(kind, payload);
      if (!isObject(v)) throw new IotdaError('bad-downlink', 'property-get payload is not a JSON object');
      return { kind, value: v as PropertyGetRequest };
    }
    case 'shadow-response': {
      const v = parseJson(kind, payload);
      if (!isObject(v) || !Array.isArray(v.shadow)) throw new IotdaError('bad-downlink', 'shadow response has no shadow array');
      return { kind, value: v as unknown as ShadowResponse };
    }
    case 'event': {
      const v = parseJson(kind, payload);
      if (!isObject(v) || !Array.isArray(v.services)) throw new IotdaError('bad-downlink', 'event payload has no services array');
      return { kind, value: v as unknown as EventsDown };
    }
    default: {
      const text = payload.toString('utf8');
      try {
        return { kind, value: JSON.parse(text) };
      } catch {
        return { kind, value: text };
      }
    }
  }
}
