/**
 * Parsing of Quectel extended-command lines, modem side. Quectel strings are quoted with NO
 * escape syntax (docs/at-pitfalls.md P12): the first `"` after an opening quote closes the string, and it
 * must be followed by `,` or the end of the line. That is exactly why raw JSON cannot travel in a
 * quoted argument, and why a host that forgets to escape is caught here.
 */
export type QuectelArg =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: number; text: string }
  | { kind: 'empty' }
  | { kind: 'bare'; text: string };

export type CommandForm = 'exec' | 'read' | 'test' | 'set';

export interface ParsedCommand {
  /** Upper-cased name including the leading `+` (`+QMTOPEN`) or the basic letter form (`E`). */
  name: string;
  form: CommandForm;
  args: QuectelArg[];
  /** Set when the argument list is not well-formed (a stray quote, text after a closing quote). */
  malformed?: string;
}

/** Parses `AT+NAME...` / `ATE0`; returns null if the line does not start with AT. */
export function parseQuectelCommand(line: string): ParsedCommand | null {
  const m = /^AT(.*)$/is.exec(line.trim());
  if (!m) return null;
  const rest = m[1];
  if (rest === '') return { name: '', form: 'exec', args: [] };
  const ext = /^([+$&][A-Z0-9_]+)(.*)$/is.exec(rest);
  if (!ext) {
    // Basic command: one letter with an optional number (ATE0, ATI, ATZ, ATV1).
    const basic = /^([A-Z&])(\d*)$/i.exec(rest);
    if (!basic) return { name: rest.toUpperCase(), form: 'exec', args: [], malformed: 'unknown basic command syntax' };
    const args: QuectelArg[] = basic[2] ? [{ kind: 'int', value: Number(basic[2]), text: basic[2] }] : [];
    return { name: basic[1].toUpperCase(), form: args.length ? 'set' : 'exec', args };
  }
  const name = ext[1].toUpperCase();
  const tail = ext[2];
  if (tail === '') return { name, form: 'exec', args: [] };
  if (tail === '?') return { name, form: 'read', args: [] };
  if (tail === '=?') return { name, form: 'test', args: [] };
  if (!tail.startsWith('=')) return { name, form: 'exec', args: [], malformed: `unexpected text after the name: ${tail}` };
  const parsed = parseArgList(tail.slice(1));
  return { name, form: 'set', args: parsed.args, malformed: parsed.error };
}

function parseArgList(text: string): { args: QuectelArg[]; error?: string } {
  const args: QuectelArg[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return { args, error: `unterminated string at column ${i}` };
      args.push({ kind: 'str', value: text.slice(i + 1, close) });
      i = close + 1;
      while (text[i] === ' ') i++;
      if (i >= text.length) return { args };
      if (text[i] !== ',') return { args, error: `text after a closing quote at column ${i}: a quote inside a string?` };
      i++;
      continue;
    }
    const comma = text.indexOf(',', i);
    const token = (comma < 0 ? text.slice(i) : text.slice(i, comma)).trim();
    if (token === '') args.push({ kind: 'empty' });
    else if (/^-?\d+$/.test(token)) args.push({ kind: 'int', value: Number(token), text: token });
    else if (token.includes('"')) return { args, error: `stray quote in ${token}` };
    else args.push({ kind: 'bare', text: token });
    if (comma < 0) return { args };
    i = comma + 1;
  }
}

/**
 * `s` quoted string, `i` integer, `?` either, `-` either or omitted (`AT+CPSMS=1,,,"…"`),
 * `h` either or a hex number the manual writes as `0X…` (`AT+QSSLCFG="ciphersuite",0,0XFFFF`).
 */
export type ArgType = 's' | 'i' | '?' | '-' | 'h';

export interface ArgShape {
  /** Types of the parameters in order. */
  types: ArgType[];
  /** How many are mandatory (default all). */
  required?: number;
  /** Extra parameters repeat this group (QMTSUB's topic,qos pairs). */
  repeat?: ArgType[];
}

/** Returns null when args fit the shape, otherwise why not. */
export function checkArgShape(args: QuectelArg[], shape: ArgShape): string | null {
  const required = shape.required ?? shape.types.length;
  if (args.length < required) return `expected at least ${required} parameters, got ${args.length}`;
  const typeAt = (k: number): ArgType | undefined => {
    if (k < shape.types.length) return shape.types[k];
    if (!shape.repeat) return undefined;
    return shape.repeat[(k - shape.types.length) % shape.repeat.length];
  };
  if (shape.repeat && args.length > shape.types.length && (args.length - shape.types.length) % shape.repeat.length !== 0) {
    return `incomplete repeated parameter group`;
  }
  for (let k = 0; k < args.length; k++) {
    const want = typeAt(k);
    if (!want) return `expected at most ${shape.types.length} parameters, got ${args.length}`;
    const got = args[k].kind;
    if (want === 's' && got !== 'str') return `parameter ${k + 1} must be a quoted string`;
    if (want === 'i' && got !== 'int') return `parameter ${k + 1} must be an integer`;
    if (want === '?' && got !== 'str' && got !== 'int') return `parameter ${k + 1} is malformed`;
    if (want === '-' && got === 'bare') return `parameter ${k + 1} is malformed`;
    if (want === 'h' && got !== 'str' && got !== 'int' && !isHexArg(args[k])) return `parameter ${k + 1} is malformed`;
  }
  return null;
}

export function intArg(args: QuectelArg[], k: number): number | undefined {
  const a = args[k];
  return a && a.kind === 'int' ? a.value : undefined;
}

export function strArg(args: QuectelArg[], k: number): string | undefined {
  const a = args[k];
  return a && a.kind === 'str' ? a.value : undefined;
}

/** A bare `0X1F`-style hex number, as Quectel manuals write cipher suites. */
export function isHexArg(a: QuectelArg | undefined): a is { kind: 'bare'; text: string } {
  return a?.kind === 'bare' && /^0x[0-9a-f]{1,8}$/i.test(a.text);
}
