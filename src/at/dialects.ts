/**
 * The two escaping rules (docs/at-channel.md, escaping values). Every value that enters an AT command passes
 * exactly one of these functions (as mustache's escape), so no user string can end a
 * command line early or shift its parameters.
 */
import { AtArgumentError } from './errors';
import type { AtDialect } from './types';

const CONTROL_NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x09: 'TAB',
  0x0a: 'LF (line feed)',
  0x0d: 'CR (carriage return)',
  0x1a: 'Ctrl-Z (0x1A)',
  0x1b: 'ESC (0x1B)',
};

function describeChar(code: number): string {
  const hex = `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  if (CONTROL_NAMES[code]) return `${CONTROL_NAMES[code]}${CONTROL_NAMES[code].includes('0x') ? '' : ` (${hex})`}`;
  if (code < 0x20) return `control character ${hex}`;
  return `"${String.fromCharCode(code)}" (${hex})`;
}

function reject(dialect: string, code: number, index: number, why: string): never {
  throw new AtArgumentError(`value rejected by the ${dialect} AT dialect: ${describeChar(code)} at position ${index} ${why}`);
}

function lineBreakReason(code: number): string {
  return code === 0x0d || code === 0x0a
    ? 'would end the AT command line and let the rest run as a new command'
    : 'cannot be carried in an AT command line';
}

export interface QuectelDialectOptions {
  /**
   * Quoted commas are UNCONFIRMED on Quectel firmware (docs/at-channel.md, escaping values), so they are refused
   * unless a caller knows its module accepts them.
   */
  allowComma?: boolean;
}

/**
 * Quectel: strings are quoted and there is no escape syntax (V.250 `\22` is not translated),
 * so anything that could close the string or the line is refused rather than escaped.
 */
export function createQuectelDialect(opts: QuectelDialectOptions = {}): AtDialect {
  const allowComma = opts.allowComma === true;
  return {
    name: 'quectel',
    terminator: '\r',
    escape(value: string): string {
      const s = typeof value === 'string' ? value : String(value);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20) {
          const why =
            c === 0x1a
              ? 'would send the data early (Ctrl-Z ends Quectel data input)'
              : c === 0x1b
                ? 'would cancel the command (ESC)'
                : c === 0x00
                  ? 'would truncate the command (NUL)'
                  : lineBreakReason(c);
          reject('quectel', c, i, why);
        }
        if (c === 0x22) reject('quectel', c, i, 'would close the quoted AT string; Quectel modems have no escape for it');
        if (c === 0x2c && !allowComma) reject('quectel', c, i, 'inside a quoted string is not confirmed to be safe on Quectel firmware');
      }
      return s;
    },
  };
}

export const quectelDialect: AtDialect = createQuectelDialect();

/** ESP-AT: `\`, `"` and `,` are escaped with a backslash; CR, LF and NUL cannot be carried at all. */
export const espDialect: AtDialect = {
  name: 'esp',
  terminator: '\r\n',
  escape(value: string): string {
    const s = typeof value === 'string' ? value : String(value);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x0d || c === 0x0a) reject('esp', c, i, lineBreakReason(c));
      if (c === 0x00) reject('esp', c, i, 'is not allowed by ESP-AT (it truncates the argument)');
    }
    return s.replace(/[\\",]/g, (ch) => `\\${ch}`);
  },
};
