/**
 * The IoTDA emulator's own reading and writing of the platform's wire formats: ClientIds, topics,
 * device ids and times, each from docs/iotda.md (§1.1 credentials, §1.4 topics, §1.6 payloads).
 *
 * The emulator is the tests' reference for the product (docs/emulators.md, import rule): it does
 * not use the product's builders and parsers in src/iotda, so a misreading of the platform written
 * into one of them cannot pass the tests by being checked against itself.
 */

/** A ClientId `{device_id}_0_{sign_type}_{YYYYMMDDHH}` taken apart (docs/iotda.md §1.1). */
export interface ParsedClientId {
  deviceId: string;
  identityType: string;
  signType: 0 | 1;
  timestamp: string;
}

/**
 * Reads a ClientId from the right (device ids contain `_` themselves). Undefined for any other
 * shape, which the platform answers with CONNACK 2 (docs/iotda.md §1.8).
 */
export function parseClientId(clientId: string): ParsedClientId | undefined {
  const m = /^(.+)_(0)_([01])_(\d{10})$/.exec(clientId);
  if (!m) return undefined;
  return { deviceId: m[1], identityType: m[2], signType: m[3] === '1' ? 1 : 0, timestamp: m[4] };
}

/** Device ids the platform accepts: 1-128 letters, digits, `_` and `-`. Throws with the reason. */
export function validateDeviceId(id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
    throw new Error(`device id ${JSON.stringify(id)} refused: 1 to 128 characters, only letters, digits, "_" and "-"`);
  }
  return id;
}

/** Topics the platform publishes to a device (the ↓ rows of docs/iotda.md §1.4), and its namespace. */
export const IotdaTopics = {
  namespace: (deviceId: string) => `$oc/devices/${deviceId}/`,
  messagesDown: (deviceId: string) => `$oc/devices/${deviceId}/sys/messages/down`,
  command: (deviceId: string, requestId: string) => `$oc/devices/${deviceId}/sys/commands/request_id=${requestId}`,
  propertiesSet: (deviceId: string, requestId: string) => `$oc/devices/${deviceId}/sys/properties/set/request_id=${requestId}`,
  propertiesGet: (deviceId: string, requestId: string) => `$oc/devices/${deviceId}/sys/properties/get/request_id=${requestId}`,
  shadowGetResponse: (deviceId: string, requestId: string) => `$oc/devices/${deviceId}/sys/shadow/get/response/request_id=${requestId}`,
  eventsDown: (deviceId: string) => `$oc/devices/${deviceId}/sys/events/down`,
} as const;

/** What a device publishes (the ↑ rows of docs/iotda.md §1.4). */
export type UplinkKind =
  | 'message-up'
  | 'properties-report'
  | 'gateway-report'
  | 'command-response'
  | 'property-set-response'
  | 'property-get-response'
  | 'shadow-get'
  | 'event-up'
  | 'custom'
  | 'unknown';

export interface ParsedUplinkTopic {
  kind: UplinkKind;
  deviceId?: string;
  requestId?: string;
}

/** Fixed uplink topics after `$oc/devices/{id}/`. */
const FIXED_UPLINKS: Record<string, UplinkKind> = {
  'sys/messages/up': 'message-up',
  'sys/properties/report': 'properties-report',
  'sys/gateway/sub_devices/properties/report': 'gateway-report',
  'sys/events/up': 'event-up',
};

/** Uplinks that answer a request: the request id follows `request_id=` (the last one, §1.4). */
const ANSWER_UPLINKS: Array<[string, UplinkKind]> = [
  ['sys/commands/response/request_id=', 'command-response'],
  ['sys/properties/set/response/request_id=', 'property-set-response'],
  ['sys/properties/get/response/request_id=', 'property-get-response'],
  ['sys/shadow/get/request_id=', 'shadow-get'],
];

export function parseUplinkTopic(topic: string): ParsedUplinkTopic {
  const m = /^\$oc\/devices\/([^/]+)\/([^?]*)/.exec(topic);
  if (!m) return { kind: 'unknown' };
  const [, deviceId, rest] = m;
  const fixed = FIXED_UPLINKS[rest];
  if (fixed) return { kind: fixed, deviceId };
  if (rest.startsWith('user/')) return { kind: 'custom', deviceId };
  for (const [prefix, kind] of ANSWER_UPLINKS) {
    if (!rest.startsWith(prefix)) continue;
    const requestId = rest.slice(rest.lastIndexOf('request_id=') + 'request_id='.length);
    return requestId ? { kind, deviceId, requestId } : { kind: 'unknown', deviceId };
  }
  return { kind: 'unknown', deviceId };
}

/** A time as the platform writes it: UTC `yyyyMMdd'T'HHmmss'Z'` (docs/iotda.md §1.6). */
export function formatEventTime(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}T${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
}
