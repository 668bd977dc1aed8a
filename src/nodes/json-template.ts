/**
 * Mustache templates whose output is JSON text (the object kinds of at-publish). Every value
 * goes through one escape function that writes it as the body of a JSON string, so a value can
 * never close a string, add a key or change one: `"` `\` and control characters come out as
 * JSON escapes. The unescaped tags (`{{{x}}}`, `{{&x}}`) would be a second path that skips it,
 * so a template using them is refused. The rendered text must then parse as JSON.
 */
import Mustache from 'mustache';
import { TranslatableError } from './translatable-error';

/** A value as the body of a JSON string (no surrounding quotes). */
export function jsonStringBody(value: unknown): string {
  return JSON.stringify(String(value)).slice(1, -1);
}

type Token = [string, string, number, number, Token[]?, ...unknown[]];

function unescapedTag(tokens: Token[]): string | undefined {
  for (const t of tokens) {
    if (t[0] === '&') return t[1];
    const inner = t[4];
    if (Array.isArray(inner)) {
      const found = unescapedTag(inner);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function invalid(reason: string): TranslatableError {
  return new TranslatableError('iotda-at.errors.invalidPayload', { reason });
}

/** Renders a JSON template over msg and parses the result; throws invalidPayload with the reason. */
export function renderJsonTemplate(template: string, msg: Record<string, unknown>): unknown {
  let tokens: Token[];
  try {
    tokens = Mustache.parse(template) as unknown as Token[];
  } catch (err) {
    throw invalid(`template: ${(err as Error).message}`);
  }
  const raw = unescapedTag(tokens);
  if (raw !== undefined) {
    throw invalid(`template: {{{${raw}}}} / {{&${raw}}} insert a value unescaped into JSON; use {{${raw}}}`);
  }
  const text = Mustache.render(template, msg, {}, { escape: jsonStringBody });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(`template output is not JSON: ${(err as Error).message}`);
  }
}
