/**
 * Everything that can be refused without talking to the modem is refused here, before a
 * byte is sent: a half-sent publish leaves a modem waiting at a `>` prompt.
 */
import type { PublishLimits } from './driver';
import { PayloadRejectedError } from './errors';
import type { ModemProfile } from './profile';

function isWellFormedUtf16(s: string): boolean {
  // A lone surrogate would be written as U+FFFD and change the topic's bytes silently.
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

/** Checks a topic for publish (`forPublish`) or subscribe (wildcards allowed). */
export function checkTopic(profile: ModemProfile, topic: string, forPublish: boolean): void {
  const what = forPublish ? 'publish' : 'subscribe';
  if (typeof topic !== 'string' || topic.length === 0) throw new PayloadRejectedError(what, 'topic is empty');
  if (!isWellFormedUtf16(topic)) throw new PayloadRejectedError(what, 'topic is not valid UTF-8 text');
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > profile.limits.topicBytes) {
    throw new PayloadRejectedError(what, `topic is ${bytes} bytes; ${profile.name} allows at most ${profile.limits.topicBytes}`);
  }
  if (forPublish && /[+#]/.test(topic)) throw new PayloadRejectedError(what, 'publish topics must not contain the wildcards + or #');
  if (topic.includes('\u0000')) throw new PayloadRejectedError(what, 'topic contains NUL');
}

/** Largest payload for this topic: ESP-AT's MQTT buffer holds header and payload together. */
export function maxPayloadFor(profile: ModemProfile, topic: string, qos: 0 | 1 = 1): number {
  const { payloadBytes, mqttBufferBytes } = profile.limits;
  if (!mqttBufferBytes) return payloadBytes;
  // PUBLISH fixed header (1 + up to 3 length bytes) + topic length field (2) + topic + packet id (QoS 1).
  const header = 1 + 3 + 2 + Buffer.byteLength(topic, 'utf8') + (qos > 0 ? 2 : 0);
  return Math.max(0, Math.min(payloadBytes, mqttBufferBytes - header));
}

const BYTE_NAMES: Record<number, string> = {
  0x00: 'NUL (0x00)',
  0x0a: 'LF (0x0A)',
  0x0d: 'CR (0x0D)',
  0x1a: 'Ctrl-Z (0x1A)',
  0x1b: 'ESC (0x1B)',
};

/** Checks topic and payload against the model's publish mode. */
export function checkPublish(profile: ModemProfile, topic: string, payload: Buffer, qos: 0 | 1 = 1): void {
  checkTopic(profile, topic, true);
  if (!Buffer.isBuffer(payload)) throw new PayloadRejectedError('publish', 'payload must be a Buffer');
  if (payload.length === 0) throw new PayloadRejectedError('publish', 'payload is empty; the modem publish commands need at least one byte');
  const max = maxPayloadFor(profile, topic, qos);
  if (payload.length > max) {
    throw new PayloadRejectedError('publish', `payload is ${payload.length} bytes; ${profile.name} carries at most ${max} bytes${profile.limits.mqttBufferBytes ? ' with this topic' : ''}`);
  }
  const refused = new Set(profile.publish.refusedBytes);
  if (refused.size > 0) {
    // Report the first offending byte in the payload, which is where a user will look.
    const at = payload.findIndex((byte) => refused.has(byte));
    const b = payload[at];
    if (at >= 0) {
      throw new PayloadRejectedError(
        'publish',
        `payload contains ${BYTE_NAMES[b] ?? `byte 0x${b.toString(16)}`} at offset ${at}, which the ${profile.name} publish mode (${profile.publish.mode}) cannot carry; send JSON (JSON.stringify escapes control characters)`,
      );
    }
  }
}

/** The publish limits of a profile's model (ModemDriver.publishLimits, and before a modem is up). */
export function publishLimitsOf(profile: ModemProfile): PublishLimits {
  return {
    model: profile.name,
    maxPayloadBytes: maxPayloadFor(profile, '', 0),
    topicBytes: profile.limits.topicBytes,
    check: (topic, payload, qos) => checkPublish(profile, topic, payload, qos),
  };
}

/** The meaning of a code from a profile's result table, or a clear "unknown" text. */
export function meaningOf(profile: ModemProfile, table: string, code: string | number): string {
  return profile.results[table]?.[String(code).toLowerCase()] ?? profile.results[table]?.[String(code)] ?? `unknown code ${code}`;
}
