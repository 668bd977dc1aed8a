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
const LINE_ENDS = /[\r\n\0]/;

export function renderAtCommand(dialect: AtDialect, template: string, view: Record<string, unknown> = {}): string {
  if (UNSAFE_TAGS.test(template)) {
    throw new AtArgumentError(`AT command template "${template}" uses an unescaped mustache tag ({{{ }}}, {{& }} or {{= }}); every value must pass the ${dialect.name} escape`);
  }
  // The template is trusted profile data, but a line break in it (even in a section that
  // renders empty today) would split the command in two: refuse rather than send.
  if (LINE_ENDS.test(template)) throw notOneLine(template);
  const line = Mustache.render(template, view, {}, { escape: (value: unknown) => dialect.escape(String(value)) });
  if (LINE_ENDS.test(line)) throw notOneLine(template);
  return line;
}

function notOneLine(template: string): AtArgumentError {
  return new AtArgumentError(`AT command template "${template}" renders a line containing a CR, LF or NUL; a command must be one line`);
}
