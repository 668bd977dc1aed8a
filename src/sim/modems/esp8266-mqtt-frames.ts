/**
 * Byte layout of ESP-AT MQTT traffic that depends on the MQTT packet size: the ESP8266 publish
 * buffer limit for AT+MQTTPUBRAW, and the splitting of large downlinks into several
 * `+MQTTSUBRECV` URCs (docs/models/esp8266.md "Downlinks").
 */

/**
 * CONFIG_MQTT_BUFFER_SIZE of the default ESP8266 ESP-AT build (module_esp8266_default
 * sdkconfig.defaults in every v2.2.x/v2.3 esp8266 tag): esp-mqtt's receive and send buffer.
 * A whole outgoing PUBLISH packet must fit it; a longer incoming one is handed over in pieces.
 */
export const ESP8266_MQTT_BUFFER = 512;

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

/** True when AT+MQTTPUBRAW of this size fits the MQTT buffer. */
export function fitsPublishBuffer(topicBytes: number, payloadBytes: number, qos: number, bufferBytes = ESP8266_MQTT_BUFFER): boolean {
  return publishHeaderBytes(topicBytes, payloadBytes, qos) + payloadBytes <= bufferBytes;
}

/**
 * Split a downlink the way esp-mqtt hands it to ESP-AT (mqtt_message_receive and deliver_publish
 * in the esp-mqtt of ESP8266_RTOS_SDK v3.4): a PUBLISH packet that fits the buffer is one piece;
 * a longer one is read into the full buffer first, so the first piece carries `buffer - header`
 * data bytes, and each later read up to a whole buffer of data. ESP-AT prints every piece as its
 * own `+MQTTSUBRECV` with the topic and the piece's length (docs/models/esp8266.md "Downlinks").
 */
export function subRecvFragments(topic: Buffer, payload: Buffer, qos: number, bufferBytes = ESP8266_MQTT_BUFFER): Buffer[] {
  const header = publishHeaderBytes(topic.length, payload.length, qos);
  if (header + payload.length <= bufferBytes) return [payload];
  const first = Math.max(1, bufferBytes - header);
  const out: Buffer[] = [payload.subarray(0, first)];
  for (let off = first; off < payload.length; off += bufferBytes) {
    out.push(payload.subarray(off, Math.min(payload.length, off + bufferBytes)));
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
