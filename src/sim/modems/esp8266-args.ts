/**
 * ESP-AT parameter parsing, as the firmware does it (docs/models/esp8266.md "Line discipline").
 *
 * The firmware splits the parameter list at every comma that is not preceded by a backslash,
 * whether or not it sits between quotes; a string parameter must then be wrapped in quotes with
 * no unescaped quote inside. So `"765933, 94875095"` breaks into two malformed fields
 * (`ERR CODE:0x01080002` on real hardware). We reproduce that split, and additionally run a
 * quote-aware split so strict mode can name the mistake (a bare comma inside a quoted string).
 */

export type EspParam =
  | { kind: 'string'; value: Buffer; raw: string }
  | { kind: 'int'; value: number; raw: string }
  | { kind: 'empty'; raw: string }
  | { kind: 'bad'; raw: string; reason: string };

export interface ParsedEspArgs {
  params: EspParam[];
  /** Why the list is not well formed, one entry per problem (empty when it is). */
  problems: string[];
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** Split at commas not preceded by a backslash (the firmware's rule, quotes ignored). */
function splitFirmwareStyle(bytes: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === BACKSLASH) {
      i++; // the escaped byte never splits
    } else if (b === COMMA) {
      fields.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  fields.push(bytes.subarray(start));
  return fields;
}

/** Count parameters the way a human reading the quotes would (commas inside quotes do not split). */
function countQuoteAware(bytes: Buffer): number {
  let count = 1;
  let inQuotes = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === BACKSLASH) i++;
    else if (b === QUOTE) inQuotes = !inQuotes;
    else if (b === COMMA && !inQuotes) count++;
  }
  return count;
}

/** Remove the escapes: `\x` becomes x for any x. */
function unescape(inner: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === BACKSLASH && i + 1 < inner.length) {
      i++;
    }
    out.push(inner[i]);
  }
  return Buffer.from(out);
}

function parseField(field: Buffer): EspParam {
  const raw = field.toString('latin1');
  if (field.length === 0) return { kind: 'empty', raw };
  if (field[0] === QUOTE) {
    // Find the closing quote: the first unescaped one.
    let close = -1;
    for (let i = 1; i < field.length; i++) {
      if (field[i] === BACKSLASH) {
        i++;
        continue;
      }
      if (field[i] === QUOTE) {
        close = i;
        break;
      }
    }
    if (close < 0) return { kind: 'bad', raw, reason: 'unterminated quoted string' };
    if (close !== field.length - 1) return { kind: 'bad', raw, reason: 'unescaped \'"\' inside quoted string' };
    const inner = field.subarray(1, close);
    // CR, LF and NUL can never be part of a value: on the wire they end or corrupt the command (P12).
    if (inner.includes(0x0d) || inner.includes(0x0a) || inner.includes(0x00)) {
      return { kind: 'bad', raw, reason: 'CR, LF or NUL inside a quoted string' };
    }
    return { kind: 'string', value: unescape(inner), raw };
  }
  if (/^-?\d+$/.test(raw)) return { kind: 'int', value: Number(raw), raw };
  return { kind: 'bad', raw, reason: 'neither a quoted string nor an integer' };
}

/** Parse the part of a command line after `=`. */
export function parseEspArgs(text: Buffer): ParsedEspArgs {
  const fields = splitFirmwareStyle(text);
  const params = fields.map(parseField);
  const problems: string[] = [];
  const humanCount = countQuoteAware(text);
  if (humanCount !== fields.length) problems.push('bare \',\' inside a quoted string');
  for (const p of params) if (p.kind === 'bad') problems.push(`${p.reason}: ${p.raw}`);
  return { params, problems };
}

/** The shape a command expects for each parameter; `?` marks an optional trailing one. */
export type ParamShape = 'str' | 'int' | 'str?' | 'int?';

export interface ShapeCheck {
  ok: boolean;
  problem?: string;
  /** Parameter count was wrong (ESP error category 06) rather than a type problem (07/08). */
  countMismatch?: boolean;
}

/** Check parsed parameters against a command's signature. */
export function checkShape(params: EspParam[], shape: ParamShape[]): ShapeCheck {
  const required = shape.filter((s) => !s.endsWith('?')).length;
  if (params.length < required || params.length > shape.length) {
    return {
      ok: false,
      countMismatch: true,
      problem: `expected ${required === shape.length ? required : `${required}-${shape.length}`} parameters, got ${params.length}`,
    };
  }
  for (let i = 0; i < params.length; i++) {
    const want = shape[i].replace('?', '');
    const p = params[i];
    if (p.kind === 'bad') return { ok: false, problem: `parameter ${i + 1}: ${p.reason}` };
    if (p.kind === 'empty') return { ok: false, problem: `parameter ${i + 1} is empty` };
    if (want === 'str' && p.kind !== 'string') return { ok: false, problem: `parameter ${i + 1} must be a quoted string` };
    if (want === 'int' && p.kind !== 'int') return { ok: false, problem: `parameter ${i + 1} must be an integer` };
  }
  return { ok: true };
}

/** Quote a value the way ESP-AT prints it in query answers (no escaping: real firmware prints raw). */
export function espQuoted(value: string | Buffer): string {
  return `"${Buffer.isBuffer(value) ? value.toString('latin1') : value}"`;
}
