/**
 * The literal text every match of an anchored regex source must start with (`^\+QMTSUB: 0,7,(\d+)`
 * gives `+QMTSUB: 0,7,`). The driver uses it to build an awaited URC's `prefix`
 * (AtCommandOptions.awaitUrc), so one compiled pattern serves every message id.
 */
const META = new Set(['.', '[', ']', '(', ')', '*', '+', '?', '{', '}', '|', '^', '$']);
const QUANTIFIERS = new Set(['*', '+', '?', '{']);

/**
 * The literal start of a regex given as source text (no RegExp is compiled), and how many
 * characters of the source it spans. Empty unless the source is anchored with `^` and the
 * flags keep literals literal (no `i`, no `m`).
 */
export function literalPrefixOfSource(src: string, flags = ''): { prefix: string; consumed: number } {
  if (flags.includes('i') || flags.includes('m') || !src.startsWith('^')) return { prefix: '', consumed: 0 };
  let out = '';
  let i = 1;
  while (i < src.length) {
    let ch = src[i];
    let width = 1;
    if (ch === '\\') {
      const next = src[i + 1];
      // Only escaped punctuation is a literal; \d, \w, \s, \u... are classes or codes.
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      ch = next;
      width = 2;
    } else if (META.has(ch)) {
      break;
    }
    // A quantified character is optional or repeated: it cannot be part of the fixed prefix.
    if (QUANTIFIERS.has(src[i + width])) break;
    out += ch;
    i += width;
  }
  return { prefix: out, consumed: i };
}
