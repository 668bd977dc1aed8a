/**
 * Renders an AT command line from a mustache template, using the dialect's escape function
 * for every `{{value}}`. Unescaped forms (`{{{x}}}`, `{{& x}}`) and delimiter changes
 * (`{{=<% %>=}}`, which could smuggle an unescaped tag past the first check) are refused, so
 * the only way a value reaches the line is through the escape. Mustache renders (sections,
 * dotted names and all) with the dialect's escape as its own.
 */
import Mustache from 'mustache';
import { AtArgumentError } from './errors';
import type { AtDialect } from './types';

const UNSAFE_TAGS = /\{\{\s*[{&=]/;

export function renderAtCommand(dialect: AtDialect, template: string, view: Record<string, unknown> = {}): string {
  checkTemplate(dialect, template);
  const line = Mustache.render(template, view, {}, { escape: (value: unknown) => dialect.escape(typeof value === 'string' ? value : String(value)) });
  checkSingleLine(template, line);
  return line;
}

function checkTemplate(dialect: AtDialect, template: string): void {
  if (UNSAFE_TAGS.test(template)) {
    throw new AtArgumentError(`AT command template "${template}" uses an unescaped mustache tag ({{{ }}}, {{& }} or {{= }}); every value must pass the ${dialect.name} escape`);
  }
  checkSingleLine(template, template);
}

function checkSingleLine(template: string, line: string): void {
  // The template text itself is trusted profile data, but a line break in it would still
  // split the command in two: refuse rather than send.
  if (/[\r\n\0]/.test(line)) {
    throw new AtArgumentError(`AT command template "${template}" renders a line containing a CR, LF or NUL; a command must be one line`);
  }
}
