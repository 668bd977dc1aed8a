/**
 * Quectel `+QMTRECV` and `+QMTSTAT` handling (docs/models/ec20.md and docs/models/bc26.md,
 * "Downlinks").
 * - With the length field (EC20 recv/mode 0,1) the payload is read by length as raw bytes, so
 *   quotes, CR LF and any byte arrive intact.
 * - Without it (BC26; EC20 firmware without recv/mode) the payload runs raw between quotes,
 *   unescaped, and may hold CR LF and lines that look like modem output (`RDY`, `OK`,
 *   `+QMTSTAT: 0,1`). It is read with the AT channel's continuation (docs/at-channel.md): while
 *   the quoted payload is open, every following line and the break bytes before it belong to
 *   it, never to the command matcher, the boot-banner detector or another URC handler. It
 *   closes at a line that ends with `"` (the last quote before a line end).
 * - BC28-style unquoted payloads (Quectel's BC28 manual example) end at their line end.
 */
import type { AtChannelPort } from './channel-port';
import type { ProfileCommands } from './profile-commands';

export interface QuectelDownlinkSink {
  message(clientIndex: number, topic: string, payload: Buffer): void;
  status(clientIndex: number, code: number): void;
  /**
   * Whether this client's `+QMTRECV` carries a length field (recv/mode set). Without one a
   * payload that starts with digits and `,"` must not be read as a length. Default: the
   * profile's recvHasLength.
   */
  hasLength?(clientIndex: number): boolean;
}

/** Longest quoted payload without a length that is assembled before it is given up as unterminated. */
const MAX_CONTINUED_BYTES = 16 * 1024;
/** Longest time a quoted payload without a length may take to close (10 KiB at 9600 baud). */
const MAX_CONTINUED_MS = 15_000;

/** The payload part of a `+QMTRECV` text without a length is an open quoted string. */
function quoteOpen(rest: string): boolean {
  return rest.startsWith('"') && (rest.length < 2 || !rest.endsWith('"'));
}

export function attachQuectelDownlinks(cmds: ProfileCommands, sink: QuectelDownlinkSink): () => void {
  const channel: AtChannelPort = cmds.channel;
  const hasLength = (idx: number): boolean => (sink.hasLength ? sink.hasLength(idx) : cmds.profile.recvHasLength === true);
  const removers: (() => void)[] = [];

  const withLength = cmds.pattern('recvWithLength');
  // The whole text of a URC continued over line breaks: `.` must match them too (dotAll).
  const recvText = new RegExp(cmds.pattern('recvLine').source, 's');
  removers.push(
    channel.addUrc({
      name: 'qmtrecv',
      prefix: cmds.urcPrefix('recvLine'),
      partial: withLength,
      onPartial: (m) => {
        const idx = Number(m[1]);
        if (!hasLength(idx)) return undefined;
        const topic = m[3];
        return { length: Number(m[4]), onRaw: (payload) => sink.message(idx, topic, payload) };
      },
      line: recvText,
      continues: (text) => {
        const m = recvText.exec(text);
        return m !== null && quoteOpen(m[4]);
      },
      maxContinuationBytes: MAX_CONTINUED_BYTES,
      maxContinuationMs: MAX_CONTINUED_MS,
      onContinuationAbandoned: (text, reason) => {
        cmds.note(`+QMTRECV without a closing quote after ${Buffer.byteLength(text)} bytes (${reason} cap): dropped`);
      },
      onLine: (_text, m) => {
        if (!m) return;
        const idx = Number(m[1]);
        const topic = m[3];
        const rest = m[4];
        // Quoted: everything between the first and the last quote, line breaks as received.
        if (rest.startsWith('"') && rest.length >= 2 && rest.endsWith('"')) sink.message(idx, topic, Buffer.from(rest.slice(1, -1), 'utf8'));
        else sink.message(idx, topic, Buffer.from(rest.trimStart(), 'utf8'));
      },
    }),
  );
  removers.push(
    channel.addUrc({
      name: 'qmtstat',
      prefix: cmds.urcPrefix('status'),
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
