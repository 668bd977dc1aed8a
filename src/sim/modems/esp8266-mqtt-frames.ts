/**
 * Byte layout of ESP-AT MQTT traffic that depends on the MQTT packet size: the ESP8266 publish
 * buffer limit for AT+MQTTPUBRAW, and the splitting of large downlinks into several
 * `+MQTTSUBRECV` URCs (PROTOCOLS.md §2.3 "URCs").
 */

/** ESP8266 MQTT_BUFFER_SIZE_BYTE: a whole outgoing PUBLISH packet must fit. */
export const ESP8266_PUBLISH_BUFFER = 512;
/** Receive buffer: the first fragment holds the packet header plus data, later ones data only. */
export const ESP_RECEIVE_BUFFER = 1024;

function remainingLengthBytes(n: number): number {
  if (n < 128) return 1;
  if (n < 16_384) return 2;
  if (n < 2_097_152) return 3;
  return 4;
}

/** Size of an MQTT 3.1.1 PUBLISH packet without its payload. */
export function publishHeaderBytes(topicBytes: number, payloadBytes: number, qos: number): number {
  const variable = 2 + topicBytes + (qos > 0 ? 2 : 0);
  return 1 + remainingLengthBytes(variable + payloadBytes) + variable;
}

/** True when AT+MQTTPUBRAW of this size fits the ESP8266 buffer. */
export function fitsPublishBuffer(topicBytes: number, payloadBytes: number, qos: number): boolean {
  return publishHeaderBytes(topicBytes, payloadBytes, qos) + payloadBytes <= ESP8266_PUBLISH_BUFFER;
}

/**
 * Split a downlink the way esp-mqtt hands it to ESP-AT: the first read holds the packet header,
 * so it carries `buffer - header` data bytes; each later read carries up to a whole buffer.
 * Every fragment becomes its own URC with its own header (emulator choice, see PROTOCOLS.md).
 */
export function subRecvFragments(topic: Buffer, payload: Buffer, qos: number): Buffer[] {
  const header = publishHeaderBytes(topic.length, payload.length, qos);
  const first = Math.max(1, ESP_RECEIVE_BUFFER - header);
  if (payload.length <= first) return [payload];
  const out: Buffer[] = [payload.subarray(0, first)];
  for (let off = first; off < payload.length; off += ESP_RECEIVE_BUFFER) {
    out.push(payload.subarray(off, Math.min(payload.length, off + ESP_RECEIVE_BUFFER)));
  }
  return out;
}

/** `+MQTTSUBRECV:0,"<topic>",<len>,<data>` CR LF; topic and data are raw (never escaped). */
export function subRecvUrc(linkId: number, topic: Buffer, data: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`+MQTTSUBRECV:${linkId},"`, 'latin1'),
    topic,
    Buffer.from(`",${data.length},`, 'latin1'),
    data,
    Buffer.from('\r\n', 'latin1'),
  ]);
}
