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

/** Templates already checked for unsafe tags (profiles use a few dozen, over and over). */
const checkedTemplates = new Set<string>();
const MAX_CHECKED_TEMPLATES = 1024;

export function renderAtCommand(dialect: AtDialect, template: string, view: Record<string, unknown> = {}): string {
  if (!checkedTemplates.has(template)) {
    checkTemplate(dialect, template);
    if (checkedTemplates.size >= MAX_CHECKED_TEMPLATES) checkedTemplates.clear();
    checkedTemplates.add(template);
  }
  // Constant commands (`AT+CSQ`) need no rendering and were fully checked above.
  if (!template.includes('{{')) return template;
  const line = renderWithEscape(dialect, template, view);
  checkSingleLine(template, line);
  return line;
}

function checkTemplate(dialect: AtDialect, template: string): void {
  if (UNSAFE_TAGS.test(template)) {
    throw new AtArgumentError(`AT command template "${template}" uses an unescaped mustache tag ({{{ }}}, {{& }} or {{= }}); every value must pass the ${dialect.name} escape`);
  }
  checkSingleLine(template, template);
}

/** Mustache config per dialect, built once: a closure and an object per rendered command added up. */
const renderConfigs = new WeakMap<AtDialect, { escape: (value: unknown) => string }>();
const NO_PARTIALS = {};

/**
 * Parsed templates, keyed by the template alone. Mustache's own cache keys each lookup by
 * `template + ':' + tags`, a string built and hashed per render, which cost more than the
 * render; profiles use a few dozen templates, so this map stays small.
 */
const writer = new Mustache.Writer();
const parsedTemplates = new Map<string, ParsedTemplate>();

/** A name mustache resolves with one property read: not `.`, not dotted. */
function isPlainName(name: string): boolean {
  return name !== '.' && !name.includes('.');
}

/** Mustache's value of a plain name in the command's view (see CommandView). */
function plainValue(view: unknown, name: string): unknown {
  if (view === null || view === undefined || typeof view !== 'object') return undefined;
  const value = (view as Record<string, unknown>)[name];
  return typeof value === 'function' ? (value as (this: unknown) => unknown).call(view) : value;
}

/**
 * The view of one command. Mustache's own lookup caches every name in a per-render object and
 * walks a context chain we never have; a plain name here is one property read, with mustache's
 * meaning kept (a missing value renders as empty, a function is called with the view as `this`).
 * Dotted names and `.` go to mustache's lookup.
 */
class CommandView extends Mustache.Context {
  override lookup(name: string): unknown {
    if (!isPlainName(name)) return super.lookup(name);
    return plainValue(this.view, name);
  }
}

/**
 * The view of a template whose every tag is a plain `{{name}}` (AT templates are): nothing
 * reads mustache's per-render cache, so one instance is reused, its view swapped per render,
 * instead of a context and its cache object per command. `inUse` covers a view function that
 * renders another command while this one renders.
 */
class PlainCommandView extends Mustache.Context {
  inUse = false;
  override lookup(name: string): unknown {
    return plainValue(this.view, name);
  }
}
const sharedPlainView = new PlainCommandView({});

interface ParsedTemplate {
  tokens: string[][];
  /** Every tag is a plain `{{name}}` (or a comment): no sections, no dotted names. */
  plain: boolean;
}

function parseTemplate(template: string): ParsedTemplate {
  const tokens = writer.parse(template) as string[][];
  const plain = tokens.every((t) => t[0] === 'text' || t[0] === '!' || (t[0] === 'name' && isPlainName(t[1])));
  return { tokens, plain };
}

/** The last dialect's config: one channel renders with one dialect, and a WeakMap lookup per render showed. */
let lastDialect: AtDialect | undefined;
let lastConfig: { escape: (value: unknown) => string } | undefined;

function renderWithEscape(dialect: AtDialect, template: string, view: Record<string, unknown>): string {
  let config = dialect === lastDialect ? lastConfig : renderConfigs.get(dialect);
  if (config === undefined) {
    config = { escape: (value: unknown) => dialect.escape(typeof value === 'string' ? value : String(value)) };
    renderConfigs.set(dialect, config);
  }
  lastDialect = dialect;
  lastConfig = config;
  let parsed = parsedTemplates.get(template);
  if (parsed === undefined) {
    if (parsedTemplates.size >= MAX_CHECKED_TEMPLATES) parsedTemplates.clear();
    parsed = parseTemplate(template);
    parsedTemplates.set(template, parsed);
  }
  // Mustache renders (sections, dotted names and all); values reach the line only through the escape.
  if (!parsed.plain || sharedPlainView.inUse) {
    return writer.renderTokens(parsed.tokens, new CommandView(view), NO_PARTIALS, template, config);
  }
  const context = sharedPlainView;
  context.inUse = true;
  context.view = view;
  try {
    return writer.renderTokens(parsed.tokens, context, NO_PARTIALS, template, config);
  } finally {
    context.view = undefined;
    context.inUse = false;
  }
}

function checkSingleLine(template: string, line: string): void {
  // The template text itself is trusted profile data, but a line break in it would still
  // split the command in two: refuse rather than send. Three native searches: a char loop
  // over the line cost several times more (this runs for every rendered command).
  if (line.indexOf('\r') !== -1 || line.indexOf('\n') !== -1 || line.indexOf('\0') !== -1) {
    throw new AtArgumentError(`AT command template "${template}" renders a line containing a CR, LF or NUL; a command must be one line`);
  }
}
