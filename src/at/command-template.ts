/**
 * Renders an AT command line from a mustache template, using the dialect's escape function
 * for every `{{value}}`. Unescaped forms (`{{{x}}}`, `{{& x}}`) and delimiter changes
 * (`{{=<% %>=}}`, which could smuggle an unescaped tag past the first check) are refused, so
 * the only way a value reaches the line is through the escape.
 */
import Mustache from 'mustache';
import { AtArgumentError } from './errors';
import type { AtDialect } from './types';

const UNSAFE_TAGS = /\{\{\s*[{&=]/;

export function renderAtCommand(dialect: AtDialect, template: string, view: Record<string, unknown> = {}): string {
  if (UNSAFE_TAGS.test(template)) {
    throw new AtArgumentError(`AT command template "${template}" uses an unescaped mustache tag ({{{ }}}, {{& }} or {{= }}); every value must pass the ${dialect.name} escape`);
  }
  // Constant commands (`AT+CSQ`) need no rendering; the line check below still applies.
  const line = template.includes('{{') ? renderWithEscape(dialect, template, view) : template;
  checkSingleLine(template, line);
  return line;
}

function renderWithEscape(dialect: AtDialect, template: string, view: Record<string, unknown>): string {
  const escape = (value: unknown) => dialect.escape(typeof value === 'string' ? value : String(value));
  return Mustache.render(template, view, {}, { escape });
}

function checkSingleLine(template: string, line: string): void {
  // The template text itself is trusted profile data, but a line break in it would still
  // split the command in two: refuse rather than send.
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x00) {
      throw new AtArgumentError(`AT command template "${template}" renders a line containing a CR, LF or NUL; a command must be one line`);
    }
  }
}
