/**
 * ESP-AT `+MQTTSUBRECV:<idx>,"<topic>",<len>,<data>` (raw, read by length) and
 * `+MQTTDISCONNECTED`. A message larger than the MQTT buffer, or split by the network,
 * arrives as several `+MQTTSUBRECV` for the same topic; they are joined when the first
 * part is not valid JSON and the next one follows within `joinWindowMs`.
 */
import type { ProfileCommands } from './profile-commands';

export interface EspDownlinkSink {
  message(clientIndex: number, topic: string, payload: Buffer): void;
  disconnected(clientIndex: number): void;
}

function parsesAsJson(buf: Buffer): boolean {
  try {
    JSON.parse(buf.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

export function attachEspDownlinks(cmds: ProfileCommands, sink: EspDownlinkSink, joinWindowMs = 200): () => void {
  const channel = cmds.channel;
  let pending: { idx: number; topic: string; parts: Buffer[]; timer: NodeJS.Timeout } | undefined;

  const flush = () => {
    if (!pending) return;
    const done = pending;
    pending = undefined;
    clearTimeout(done.timer);
    sink.message(done.idx, done.topic, Buffer.concat(done.parts));
  };

  const onFragment = (idx: number, topic: string, data: Buffer) => {
    if (pending && (pending.idx !== idx || pending.topic !== topic)) flush();
    if (pending) {
      pending.parts.push(data);
      clearTimeout(pending.timer);
    } else {
      pending = { idx, topic, parts: [data], timer: undefined as unknown as NodeJS.Timeout };
    }
    if (parsesAsJson(Buffer.concat(pending.parts))) {
      flush();
      return;
    }
    pending.timer = setTimeout(flush, joinWindowMs);
  };

  const removeRecv = channel.addUrc({
    name: 'mqttsubrecv',
    prefix: '+MQTTSUBRECV:',
    partial: cmds.pattern('subRecv'),
    onPartial: (m) => {
      const idx = Number(m[1]);
      const topic = m[2];
      return { length: Number(m[3]), onRaw: (payload) => onFragment(idx, topic, payload) };
    },
  });
  const removeDisc = channel.addUrc({
    name: 'mqttdisconnected',
    prefix: '+MQTTDISCONNECTED:',
    line: cmds.pattern('disconnected'),
    onLine: (_line, m) => {
      if (m) sink.disconnected(Number(m[1]));
    },
  });
  const removeErr = channel.addUrc({
    name: 'esp-err-code',
    prefix: 'ERR CODE:',
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
