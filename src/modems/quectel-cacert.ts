/**
 * Verified TLS on a Quectel module (docs/models/ec20.md, "Verified TLS"): the CA certificate goes
 * onto the module's file system (UFS) once, and the SSL context points at it with server
 * verification on. The file name carries a short hash of the CA, so the file list (name and
 * size) tells whether the right CA is already there: a reconnect uploads nothing. Every refusal
 * fails the open with an error that names the step; nothing here falls back to an unverified
 * connection.
 */
import { createHash } from 'node:crypto';
import { literalPrefixOfSource } from './regex-literal-prefix';
import { ModemError } from './errors';
import { isSkippable, type ProfileCommands } from './profile-commands';

/** Seconds the module waits for the file's bytes after CONNECT (AT+QFUPL <timeout>). */
const UPLOAD_WAIT_S = 10;

/**
 * `c<ctx><6 hex digits of the CA's SHA-256>.pem`: a DOS 8.3 name, as the FILE manual recommends,
 * one per SSL context, so two connections on one module with different CAs keep their own files.
 */
export function caFileName(ctx: number, ca: Buffer): string {
  return `c${ctx}${createHash('sha256').update(ca).digest('hex').slice(0, 6)}.pem`;
}

/**
 * The checksum `+QFUPL: <size>,<checksum>` reports (FILE manual, AT+QFUPL note 2): a 16-bit XOR
 * of the data taken two bytes at a time, the first byte high; an odd last byte is the high byte
 * of a pair whose low byte is 0.
 */
export function qfuplChecksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum ^= (data[i] << 8) | (i + 1 < data.length ? data[i + 1] : 0);
  return sum;
}

/** The manual's example prints the checksum in hex (`+QFUPL: 10,613e`); a firmware printing decimal is accepted too. */
function checksumMatches(printed: string, expected: number): boolean {
  return parseInt(printed, 16) === expected || (/^\d+$/.test(printed) && parseInt(printed, 10) === expected);
}

const ufs = (name: string) => `UFS:${name}`;

/**
 * Runs one step of the chain; a modem refusal becomes an error that says which step failed and
 * that the connection is not made unverified. A restart or a closed port passes as it is.
 */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isSkippable(err)) throw err;
    throw new ModemError(err.command, err.code, `${what} failed: ${err.meaning}; TLS verification is on, so the module does not connect without it`, {
      kind: 'permanent',
      cause: err,
    });
  }
}

/** The UFS files the module lists (AT+QFLST="*"), name (without `UFS:`) to size. */
async function listFiles(cmds: ProfileCommands): Promise<Map<string, number>> {
  const source = cmds.responseSource('fileList');
  const pattern = new RegExp(source);
  let lines: readonly string[];
  try {
    ({ lines } = await cmds.run('fileList', {}, { responsePrefixes: [literalPrefixOfSource(source).prefix] }));
  } catch (err) {
    // "file not found" for a pattern that matches nothing: an empty file system.
    if (isSkippable(err) && err.code === '+CME ERROR: 405') return new Map();
    throw err;
  }
  const files = new Map<string, number>();
  for (const line of lines) {
    const m = pattern.exec(line.trim());
    if (m) files.set(m[1], Number(m[2]));
  }
  return files;
}

async function upload(cmds: ProfileCommands, name: string, ca: Buffer): Promise<void> {
  const source = cmds.responseSource('fileUpload');
  const res = await cmds.run(
    'fileUpload',
    { name: ufs(name), size: ca.length, wait: UPLOAD_WAIT_S },
    { prompt: { data: ca, line: 'CONNECT' }, responsePrefixes: [literalPrefixOfSource(source).prefix] },
  );
  const m = res.lines.map((l) => new RegExp(source).exec(l.trim())).find((x) => x !== null);
  const size = m ? Number(m[1]) : NaN;
  if (m && size === ca.length && checksumMatches(m[2], qfuplChecksum(ca))) return;
  // A short or garbled upload must not stay behind under the name that says "right CA".
  await cmds.run('fileDelete', { name: ufs(name) }).catch(() => undefined);
  const got = m ? `${m[1]} bytes, checksum ${m[2]}` : 'no +QFUPL result';
  throw new ModemError(res.command, got, `the CA file arrived damaged (sent ${ca.length} bytes, checksum ${qfuplChecksum(ca).toString(16)})`, { kind: 'permanent' });
}

/**
 * Makes SSL context `ctx` verify the server against `ca`: the file on UFS (uploaded only when
 * the module does not hold it already, stale files of this context removed), `"cacert"` set to
 * it, `"seclevel"` 1.
 */
export async function trustCa(cmds: ProfileCommands, ctx: number, ca: Buffer, caLabel: string): Promise<void> {
  // A custom profile with a fixed level would say 1 here and mean whatever it hard-codes.
  if (!cmds.template('sslSecLevel').includes('{{level}}')) {
    throw new ModemError('sslSecLevel', '', `profile "${cmds.profile.name}" fixes the SSL security level; verified TLS needs {{level}} in its sslSecLevel command`, { kind: 'permanent' });
  }
  const name = caFileName(ctx, ca);
  const stored = await step(`listing the module's files for ${caLabel}`, () => listFiles(cmds));
  const size = stored.get(name);
  if (size === ca.length) {
    cmds.note(`CA file ${name} (${caLabel}) is already on the module: not uploaded again`);
  } else {
    if (size !== undefined) await step(`deleting the damaged CA file ${name}`, () => cmds.run('fileDelete', { name: ufs(name) }));
    await step(`uploading ${caLabel} to the module`, () => upload(cmds, name, ca));
  }
  const own = new RegExp(`^c${ctx}[0-9a-f]{6}\\.pem$`);
  for (const other of stored.keys()) {
    if (other === name || !own.test(other)) continue;
    // An older CA of this context: clutter, not a risk (cacert names the file in use).
    await cmds.run('fileDelete', { name: ufs(other) }).catch((err) => cmds.note(`stale CA file ${other} not deleted: ${(err as Error).message}`));
  }
  await step(`pointing SSL context ${ctx} at ${caLabel}`, () => cmds.run('sslCaCert', { ctx, name: ufs(name) }));
  await step(`turning on server verification (seclevel 1) on SSL context ${ctx}`, () => cmds.run('sslSecLevel', { ctx, level: 1 }));
}
