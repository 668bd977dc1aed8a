/**
 * The two escaping rules (docs/at-channel.md, escaping values). Every value that enters an AT
 * command passes exactly one of these functions (as mustache's escape), so no user string can
 * end a command line early or shift its parameters.
 */
import { AtArgumentError } from './errors';
import type { AtDialect } from './types';

const NAMES: Record<number, string> = { 0x00: 'NUL', 0x09: 'TAB', 0x0a: 'LF (line feed)', 0x0d: 'CR (carriage return)', 0x1a: 'Ctrl-Z', 0x1b: 'ESC' };
const LINE_BREAK = 'would end the AT command line and let the rest run as a new command';

/** Why Quectel refuses a control character: these end or cancel `>` data input or the line. */
const QUECTEL_CONTROL: Record<number, string> = {
  0x0a: LINE_BREAK,
  0x0d: LINE_BREAK,
  0x1a: 'would send the data early (Ctrl-Z ends Quectel data input)',
  0x1b: 'would cancel the command (ESC)',
  0x00: 'would truncate the command (NUL)',
};

function refuse(dialect: string, value: string, index: number, why: string): never {
  const code = value.charCodeAt(index);
  const hex = `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  const what = NAMES[code] ?? (code < 0x20 ? 'control character' : `"${value[index]}"`);
  throw new AtArgumentError(`value rejected by the ${dialect} AT dialect: ${what} (${hex}) at position ${index} ${why}`);
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
  return {
    name: 'quectel',
    terminator: '\r',
    escape(value: string): string {
      const s = String(value);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20) refuse('quectel', s, i, QUECTEL_CONTROL[c] ?? 'cannot be carried in an AT command line');
        if (c === 0x22) refuse('quectel', s, i, 'would close the quoted AT string; Quectel modems have no escape for it');
        if (c === 0x2c && opts.allowComma !== true) refuse('quectel', s, i, 'inside a quoted string is not confirmed to be safe on Quectel firmware');
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
    const s = String(value);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x0d || c === 0x0a) refuse('esp', s, i, LINE_BREAK);
      if (c === 0x00) refuse('esp', s, i, 'is not allowed by ESP-AT (it truncates the argument)');
    }
    return s.replace(/[\\",]/g, (ch) => `\\${ch}`);
  },
};
