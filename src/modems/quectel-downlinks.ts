/**
 * Quectel `+QMTRECV` and `+QMTSTAT` handling (PROTOCOLS.md §2.1 "Receiving").
 * - With the length field (recv/mode 0,1) the payload is read by length as raw bytes, so
 *   quotes, CR LF and any byte arrive intact.
 * - Without it (BC26) the payload is quoted but not escaped and may span lines: everything
 *   up to the last `"` of a line is payload, joining lines until one ends with `"`.
 *   Line breaks inside such a payload are restored as LF (the modem's exact break is lost).
 */
import type { AtChannelPort } from './channel-port';
import type { ProfileCommands } from './profile-commands';

export interface QuectelDownlinkSink {
  message(clientIndex: number, topic: string, payload: Buffer): void;
  status(clientIndex: number, code: number): void;
  /**
   * Whether this client's `+QMTRECV` carries a length field (recv/mode set). Without one a
   * payload that starts with digits and `,"` must not be read as a length.
   */
  hasLength(clientIndex: number): boolean;
}

/** Longest multi-line payload we assemble before giving up on a missing closing quote. */
const MAX_ASSEMBLY_BYTES = 64 * 1024;

export function attachQuectelDownlinks(cmds: ProfileCommands, sink: QuectelDownlinkSink): () => void {
  const channel: AtChannelPort = cmds.channel;
  const removers: (() => void)[] = [];
  let pending: { idx: number; topic: string; parts: string[]; bytes: number } | undefined;

  const finishLine = (idx: number, topic: string, rest: string) => {
    if (!rest.startsWith('"')) {
      // BC28-style unquoted payload.
      sink.message(idx, topic, Buffer.from(rest.trimStart(), 'utf8'));
      return;
    }
    if (rest.length >= 2 && rest.endsWith('"')) {
      sink.message(idx, topic, Buffer.from(rest.slice(1, -1), 'utf8'));
      return;
    }
    pending = { idx, topic, parts: [rest.slice(1)], bytes: rest.length };
  };

  const onContinuation = (line: string) => {
    if (!pending) return;
    if (line.endsWith('"')) {
      pending.parts.push(line.slice(0, -1));
      const done = pending;
      pending = undefined;
      sink.message(done.idx, done.topic, Buffer.from(done.parts.join('\n'), 'utf8'));
      return;
    }
    pending.parts.push(line);
    pending.bytes += line.length;
    if (pending.bytes > MAX_ASSEMBLY_BYTES) {
      cmds.note(`+QMTRECV without closing quote after ${pending.bytes} bytes: dropped`);
      pending = undefined;
    }
  };
  channel.on('unsolicited', onContinuation);
  removers.push(() => channel.off('unsolicited', onContinuation));

  const withLength = cmds.pattern('recvWithLength');
  removers.push(
    channel.addUrc({
      name: 'qmtrecv-length',
      prefix: '+QMTRECV:',
      partial: withLength,
      onPartial: (m) => {
        const idx = Number(m[1]);
        if (!sink.hasLength(idx)) return undefined;
        const topic = m[3];
        return { length: Number(m[4]), onRaw: (payload) => sink.message(idx, topic, payload) };
      },
      line: cmds.pattern('recvLine'),
      onLine: (_line, m) => {
        if (!m) return;
        if (pending) {
          cmds.note('+QMTRECV without closing quote: previous payload dropped');
          pending = undefined;
        }
        finishLine(Number(m[1]), m[3], m[4]);
      },
    }),
  );
  removers.push(
    channel.addUrc({
      name: 'qmtstat',
      prefix: '+QMTSTAT:',
      line: cmds.pattern('status'),
      onLine: (_line, m) => {
        if (m) sink.status(Number(m[1]), Number(m[2]));
      },
    }),
  );
  return () => {
    for (const r of removers) r();
  };
}
