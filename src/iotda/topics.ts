/**
 * IoTDA system topics (docs/iotda.md §1.4) and their parsers (the IoTDA emulator reads topics
 * with its own, src/sim/iotda/wire-format.ts).
 * Every builder validates the device id, so a bad id fails here with a clear reason
 * instead of as a silent ACL drop on the platform.
 */
import { validateDeviceId } from './credentials';
import { IotdaError } from './errors';

const base = (deviceId: string) => `$oc/devices/${validateDeviceId(deviceId)}`;

function checkRequestId(requestId: string): string {
  // A request id is copied verbatim into a topic, so MQTT wildcards or separators would
  // change the topic's meaning; refuse them instead of escaping.
  if (typeof requestId !== 'string' || requestId.length === 0 || /[+#\u0000]/.test(requestId)) {
    throw new IotdaError('bad-payload', `request id ${JSON.stringify(requestId)} is empty or contains + # or NUL`);
  }
  return requestId;
}

export const IotdaTopics = {
  /** T1 ↑ */ messagesUp: (deviceId: string) => `${base(deviceId)}/sys/messages/up`,
  /** T2 ↓ */ messagesDown: (deviceId: string) => `${base(deviceId)}/sys/messages/down`,
  /** T3 ↑ */ propertiesReport: (deviceId: string) => `${base(deviceId)}/sys/properties/report`,
  /** T4 ↑ */ gatewaySubDevicesReport: (deviceId: string) =>
    `${base(deviceId)}/sys/gateway/sub_devices/properties/report`,
  /** T5 ↓ */ command: (deviceId: string, requestId: string) =>
    `${base(deviceId)}/sys/commands/request_id=${checkRequestId(requestId)}`,
  /** T6 ↑ */ commandResponse: (deviceId: string, requestId: string) =>
    `${base(deviceId)}/sys/commands/response/request_id=${checkRequestId(requestId)}`,
  /** T7 ↓ */ propertiesSet: (deviceId: string, requestId: string) =>
    `${base(deviceId)}/sys/properties/set/request_id=${checkRequestId(requestId)}`,
  /** T8 ↑ */ propertiesSetResponse: (deviceId: string, requestId: string) =>
    `${base(deviceId)}/sys/properties/set/response/request_id=${checkRequestId(requestId)}`,
  /** T9 ↓ */ propertiesGet: (deviceId: string, requestId: string) =>
    `${base(deviceId)}/sys/properties/get/request_id=${checkRequestId(requestId)}`,
  /** T10 ↑ */ propertiesGetResponse: (deviceId: string, requestId: string) =>
    `${base(deviceId)}/sys/properties/get/response/request_id=${checkRequestId(requestId)}`,
  /** T11 ↑ */ shadowGet: (deviceId: string, requestId: string) =>
    `${base(deviceId)}/sys/shadow/get/request_id=${checkRequestId(requestId)}`,
  /** T12 ↓ */ shadowGetResponse: (deviceId: string, requestId: string) =>
    `${base(deviceId)}/sys/shadow/get/response/request_id=${checkRequestId(requestId)}`,
  /** T13 ↑ */ eventsUp: (deviceId: string) => `${base(deviceId)}/sys/events/up`,
  /** T14 ↓ */ eventsDown: (deviceId: string) => `${base(deviceId)}/sys/events/down`,
  /** Custom topic `$oc/devices/{id}/user/{name}` (must be declared in the product). */
  custom: (deviceId: string, name: string) => {
    if (!name || /[+#\u0000]/.test(name)) {
      throw new IotdaError('bad-payload', `custom topic name ${JSON.stringify(name)} is empty or contains + # or NUL`);
    }
    return `${base(deviceId)}/user/${name}`;
  },
  /** Prefix every topic of this device starts with (the ACL namespace). */
  namespace: (deviceId: string) => `${base(deviceId)}/`,
} as const;

/** The six downlink filters of docs/iotda.md §1.5, subscribed at QoS 1 by the driver. */
export function systemSubscriptions(deviceId: string): string[] {
  const b = base(deviceId);
  return [
    `${b}/sys/messages/down`,
    `${b}/sys/commands/#`,
    `${b}/sys/properties/set/#`,
    `${b}/sys/properties/get/#`,
    `${b}/sys/shadow/get/response/#`,
    `${b}/sys/events/down`,
  ];
}

export type DownlinkKind =
  | 'message'
  | 'command'
  | 'property-set'
  | 'property-get'
  | 'shadow-response'
  | 'event'
  | 'custom'
  | 'unknown';

export interface ParsedDownlinkTopic {
  kind: DownlinkKind;
  deviceId?: string;
  requestId?: string;
}

/** Upstream topic kinds: the link reads the responses it publishes with them (src/link/downlink-router.ts). */
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

const REQUEST_ID = 'request_id=';

/** Splits `$oc/devices/{id}/{rest}` with the `?…` query stripped; undefined for other topics. */
function splitOcTopic(topic: string): { deviceId: string; rest: string } | undefined {
  const q = topic.indexOf('?');
  const bare = q >= 0 ? topic.slice(0, q) : topic;
  const m = /^\$oc\/devices\/([^/]+)\/(.*)$/.exec(bare);
  return m ? { deviceId: m[1], rest: m[2] } : undefined;
}

/**
 * `topic` in `deviceId`'s namespace: another device's `$oc/devices/{id}/…` topic gets this
 * device's id, anything else is returned as it is. For reports queued before the connection's
 * device id changed (a redeploy or restart): a device may publish under its own namespace only
 * (docs/iotda.md §1.4, "Own namespace"), so the old topic would lose the report.
 */
export function inDeviceNamespace(topic: string, deviceId: string): string {
  const m = /^\$oc\/devices\/([^/?]+)\//.exec(topic);
  return m && m[1] !== deviceId ? `$oc/devices/${deviceId}/${topic.slice(m[0].length)}` : topic;
}

/** The request id is everything after the LAST `request_id=` (docs/iotda.md §1.4). */
function requestIdOf(rest: string): string | undefined {
  const at = rest.lastIndexOf(REQUEST_ID);
  return at >= 0 ? rest.slice(at + REQUEST_ID.length) : undefined;
}

export function parseDownlinkTopic(topic: string): ParsedDownlinkTopic {
  const parts = splitOcTopic(topic);
  if (!parts) return { kind: 'unknown' };
  const { deviceId, rest } = parts;
  const withId = (kind: DownlinkKind): ParsedDownlinkTopic => {
    const requestId = requestIdOf(rest);
    return requestId ? { kind, deviceId, requestId } : { kind: 'unknown', deviceId };
  };
  if (rest === 'sys/messages/down') return { kind: 'message', deviceId };
  if (rest === 'sys/events/down') return { kind: 'event', deviceId };
  if (rest.startsWith('user/')) return { kind: 'custom', deviceId };
  if (rest.startsWith('sys/commands/request_id=')) return withId('command');
  if (rest.startsWith('sys/properties/set/request_id=')) return withId('property-set');
  if (rest.startsWith('sys/properties/get/request_id=')) return withId('property-get');
  if (rest.startsWith('sys/shadow/get/response/request_id=')) return withId('shadow-response');
  return { kind: 'unknown', deviceId };
}

export function parseUplinkTopic(topic: string): ParsedUplinkTopic {
  const parts = splitOcTopic(topic);
  if (!parts) return { kind: 'unknown' };
  const { deviceId, rest } = parts;
  const withId = (kind: UplinkKind): ParsedUplinkTopic => {
    const requestId = requestIdOf(rest);
    return requestId ? { kind, deviceId, requestId } : { kind: 'unknown', deviceId };
  };
  if (rest === 'sys/messages/up') return { kind: 'message-up', deviceId };
  if (rest === 'sys/properties/report') return { kind: 'properties-report', deviceId };
  if (rest === 'sys/gateway/sub_devices/properties/report') return { kind: 'gateway-report', deviceId };
  if (rest === 'sys/events/up') return { kind: 'event-up', deviceId };
  if (rest.startsWith('user/')) return { kind: 'custom', deviceId };
  if (rest.startsWith('sys/commands/response/request_id=')) return withId('command-response');
  if (rest.startsWith('sys/properties/set/response/request_id=')) return withId('property-set-response');
  if (rest.startsWith('sys/properties/get/response/request_id=')) return withId('property-get-response');
  if (rest.startsWith('sys/shadow/get/request_id=')) return withId('shadow-get');
  return { kind: 'unknown', deviceId };
}

/**
 * Fails clearly when a topic exceeds the modem's limit (ESP-AT 128 bytes; 64 on 2.1.0.0).
 * Counted in UTF-8 bytes, never truncated: a truncated topic would reach the wrong place.
 */
export function checkTopicLength(topic: string, max = 128): string {
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > max) {
    throw new IotdaError(
      'topic-too-long',
      `topic is ${bytes} bytes, the limit is ${max}; use a shorter device id (topic: ${topic})`,
    );
  }
  return topic;
}
