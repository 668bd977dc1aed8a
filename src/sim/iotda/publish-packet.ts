/**
 * The bytes of an MQTT 3.1.1 PUBLISH (spec §3.3), written by the emulator itself for its own
 * downlinks: a resend must carry the same packet identifier with DUP set (§3.3.1.1, §4.3.2),
 * and aedes' own publish path picks a fresh identifier on every call.
 */
export interface PublishFields {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  dup: boolean;
  /** 1-65535; required at QoS 1, absent at QoS 0 (§2.3.1). */
  messageId?: number;
}

/** §2.2.3: the remaining length is at most four 7-bit groups. */
const MAX_REMAINING_LENGTH = 268_435_455;

export function encodePublish(p: PublishFields): Buffer {
  const topic = Buffer.from(p.topic, 'utf8');
  if (topic.length === 0 || topic.length > 0xffff) throw new Error(`topic of ${topic.length} bytes cannot be encoded`);
  const hasId = p.qos > 0;
  if (hasId && !(Number.isInteger(p.messageId) && p.messageId! >= 1 && p.messageId! <= 0xffff)) {
    throw new Error(`packet identifier ${p.messageId} is not 1-65535`);
  }
  const remaining = 2 + topic.length + (hasId ? 2 : 0) + p.payload.length;
  if (remaining > MAX_REMAINING_LENGTH) throw new Error(`PUBLISH of ${remaining} bytes exceeds the MQTT maximum`);
  const length: number[] = [];
  let rest = remaining;
  do {
    let digit = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) digit |= 0x80;
    length.push(digit);
  } while (rest > 0);
  const head = Buffer.alloc(1 + length.length + 2 + topic.length + (hasId ? 2 : 0));
  let at = head.writeUInt8(0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1), 0);
  for (const digit of length) at = head.writeUInt8(digit, at);
  at = head.writeUInt16BE(topic.length, at);
  at += topic.copy(head, at);
  if (hasId) head.writeUInt16BE(p.messageId!, at);
  return Buffer.concat([head, p.payload]);
}
