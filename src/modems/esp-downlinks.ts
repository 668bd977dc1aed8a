/**
 * ESP-AT `+MQTTSUBRECV:<idx>,"<topic>",<len>,<data>` (raw, read by length) and
 * `+MQTTDISCONNECTED`. A message larger than the module's MQTT buffer (CONFIG_MQTT_BUFFER_SIZE,
 * 512 on the default ESP8266 build) arrives as several `+MQTTSUBRECV` for the same topic, each
 * with its own length (docs/models/esp8266.md "Downlinks"). esp-mqtt fills its whole buffer
 * before it hands over a piece, so the framing says when more follows: a first piece whose
 * PUBLISH header plus data fill the buffer, or a later piece of a whole buffer. Any other piece
 * ends the message. Two separate short messages therefore always stay two.
 */
import type { ProfileCommands } from './profile-commands';

export interface EspDownlinkSink {
  message(clientIndex: number, topic: string, payload: Buffer): void;
  disconnected(clientIndex: number): void;
}

/**
 * A piece that fills the buffer can also be a whole message of exactly that size: when nothing
 * follows within this time, what has arrived is the message. The rest of a split message is
 * already on its way when the first piece is printed, so this only delays that rare size.
 */
export const ESP_CONTINUATION_MS = 1000;

/** PUBLISH header sizes a first piece can have: QoS 0 or 1, 2 or 3 remaining-length bytes. */
function firstPieceFillsBuffer(bufferBytes: number, topic: string, length: number): boolean {
  const topicBytes = Buffer.byteLength(topic, 'utf8');
  for (const packetId of [0, 2]) {
    for (const lengthBytes of [2, 3]) {
      if (1 + lengthBytes + 2 + topicBytes + packetId + length === bufferBytes) return true;
    }
  }
  return false;
}

export function attachEspDownlinks(cmds: ProfileCommands, sink: EspDownlinkSink, continuationMs = ESP_CONTINUATION_MS): () => void {
  const channel = cmds.channel;
  const bufferBytes = cmds.profile.limits.mqttBufferBytes ?? 0;
  let pending: { idx: number; topic: string; parts: Buffer[]; timer?: NodeJS.Timeout } | undefined;

  const flush = () => {
    if (!pending) return;
    const done = pending;
    pending = undefined;
    clearTimeout(done.timer);
    sink.message(done.idx, done.topic, Buffer.concat(done.parts));
  };

  const onPiece = (idx: number, topic: string, data: Buffer) => {
    // The pieces of one message come back to back: another topic means the last one ended.
    if (pending && (pending.idx !== idx || pending.topic !== topic)) flush();
    const first = !pending;
    if (pending) {
      pending.parts.push(data);
      clearTimeout(pending.timer);
    } else {
      pending = { idx, topic, parts: [data] };
    }
    const full = bufferBytes > 0 && (first ? firstPieceFillsBuffer(bufferBytes, topic, data.length) : data.length === bufferBytes);
    if (!full) {
      flush();
      return;
    }
    pending.timer = setTimeout(flush, continuationMs);
  };

  const removeRecv = channel.addUrc({
    name: 'mqttsubrecv',
    prefix: cmds.urcPrefix('subRecv'),
    partial: cmds.pattern('subRecv'),
    onPartial: (m) => {
      const idx = Number(m[1]);
      const topic = m[2];
      return { length: Number(m[3]), onRaw: (payload) => onPiece(idx, topic, payload) };
    },
  });
  const removeDisc = channel.addUrc({
    name: 'mqttdisconnected',
    prefix: cmds.urcPrefix('disconnected'),
    line: cmds.pattern('disconnected'),
    // During MQTTPUBRAW data entry the firmware prints it with no line end, glued to
    // `+MQTTPUB:FAIL` (docs/models/esp8266.md "Glued URC"): the channel routes the rest as a line.
    unterminated: true,
    onLine: (_line, m) => {
      if (m) sink.disconnected(Number(m[1]));
    },
  });
  const removeErr = channel.addUrc({
    name: 'esp-err-code',
    prefix: cmds.urcPrefix('errCode'),
    line: cmds.pattern('errCode'),
    onLine: (_line, m) => {
      if (m) cmds.recordErrCode(m[1].toLowerCase(), m[2].toLowerCase());
    },
  });
  return () => {
    flush();
    removeRecv();
    removeDisc();
    removeErr();
  };
}
