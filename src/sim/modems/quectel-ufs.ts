/**
 * The EC20's user file system (UFS) and its file commands, modem side (docs/models/ec20.md,
 * "Verified TLS"; Quectel EC2x FILE AT Commands Manual): AT+QFUPL (CONNECT, exactly <size> raw
 * bytes, `+QFUPL: <size>,<checksum>`), AT+QFLST, AT+QFDEL. The files live in flash: the map
 * outlives a restart of the module, and a test may hand the same map to a new emulator.
 * After <timeout> seconds without a byte the module leaves data mode and keeps what came
 * (BG96 FILE manual, AT+QFUPL). Not emulated: RAM:/SD: storage, AT+QFUPL's ACK mode.
 */
import type { DataResult } from './command-reader';
import { intArg, strArg } from './quectel-args';
import { cme, ok, type Answer, type CommandSpec } from './quectel-emulator';

/** AT+QFUPL's defaults: <file_size> bytes and <timeout> seconds. */
const DEFAULT_UPLOAD_SIZE = 10240;
const DEFAULT_UPLOAD_WAIT_S = 5;
/** Longest file name the manual allows, in bytes. */
const MAX_NAME = 80;
/** UFS space of the emulated module (about what EC20 firmware reports with AT+QFLDS). */
const UFS_BYTES = 8 * 1024 * 1024;

const E = { invalidName: 406, notFound: 405, exists: 407, driveFull: 403, invalidParameter: 425 } as const;

/** The 16-bit XOR checksum of the manual's AT+QFUPL note: byte pairs, high byte first, an odd last byte padded with 0. */
export function ufsChecksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum ^= (data[i] << 8) | (i + 1 < data.length ? data[i + 1] : 0);
  return sum;
}

/** A file name as the commands take it: `UFS:<name>` or a bare name (UFS is the default storage). */
function ufsName(arg: string | undefined): string | { refused: number } {
  if (arg === undefined) return { refused: E.invalidParameter };
  const name = arg.startsWith('UFS:') ? arg.slice(4) : arg;
  if (/^(RAM|SD):/.test(arg)) return { refused: E.invalidParameter };
  if (name.length === 0 || Buffer.byteLength(name) > MAX_NAME || /[\\/:*?"<>|]/.test(name)) return { refused: E.invalidName };
  return name;
}

export class QuectelUfs {
  constructor(
    /** Name (without `UFS:`) to contents. */
    readonly files: Map<string, Buffer>,
    private readonly strictViolation: (text: string) => void,
  ) {}

  /** The contents of a file named as AT+QSSLCFG names it (`UFS:<name>`), if it exists. */
  read(path: string): Buffer | undefined {
    const name = ufsName(path);
    return typeof name === 'string' ? this.files.get(name) : undefined;
  }

  register(c: Map<string, CommandSpec>): void {
    c.set('+QFLST', {
      exec: () => this.list('*'),
      test: () => ok(),
      set: { shape: { types: ['s'] }, run: (a) => this.list(strArg(a, 0)!) },
    });
    c.set('+QFDEL', { set: { shape: { types: ['s'] }, run: (a) => this.remove(strArg(a, 0)!) } });
    c.set('+QFUPL', {
      test: () => ok(`+QFUPL: "<filename>",(1-${this.free()}),(1-65535),(0,1)`),
      set: { shape: { types: ['s', 'i', 'i', 'i'], required: 1 }, run: (a) => this.upload(strArg(a, 0)!, intArg(a, 1), intArg(a, 2), intArg(a, 3)) },
    });
  }

  private free(): number {
    let used = 0;
    for (const f of this.files.values()) used += f.length;
    return UFS_BYTES - used;
  }

  /** `+QFLST: "<name>",<size>` per file, as the manual's example prints it (no `UFS:`). */
  private list(pattern: string): Answer {
    if (pattern === '*' || pattern === 'UFS:*') return ok(...[...this.files].map(([name, data]) => `+QFLST: "${name}",${data.length}`));
    const name = ufsName(pattern);
    if (typeof name !== 'string') return cme(name.refused);
    const data = this.files.get(name);
    return data ? ok(`+QFLST: "${name}",${data.length}`) : cme(E.notFound);
  }

  private remove(pattern: string): Answer {
    if (pattern === '*' || pattern === 'UFS:*') {
      this.files.clear();
      return ok();
    }
    const name = ufsName(pattern);
    if (typeof name !== 'string') return cme(name.refused);
    return this.files.delete(name) ? ok() : cme(E.notFound);
  }

  private upload(nameArg: string, size = DEFAULT_UPLOAD_SIZE, waitS = DEFAULT_UPLOAD_WAIT_S, ackMode = 0): Answer {
    const name = ufsName(nameArg);
    if (typeof name !== 'string') return cme(name.refused);
    if (ackMode !== 0) {
      this.strictViolation('AT+QFUPL: ACK mode is not emulated');
      return cme(E.invalidParameter);
    }
    if (size < 1 || waitS < 1 || waitS > 65535) return cme(E.invalidParameter);
    // The manual: an existing file is not overwritten; delete it first.
    if (this.files.has(name)) return cme(E.exists);
    if (size > this.free()) return cme(E.driveFull);
    return {
      kind: 'prompt',
      prompt: 'CONNECT',
      // What came before the timeout is kept, as the manual says of an upload ended early.
      request: { mode: 'length', length: size, idleMs: waitS * 1000 },
      onData: (r: DataResult) => {
        if (r.kind !== 'data') return cme(E.invalidParameter);
        this.files.set(name, r.bytes);
        return ok(`+QFUPL: ${r.bytes.length},${ufsChecksum(r.bytes).toString(16)}`);
      },
    };
  }
}
