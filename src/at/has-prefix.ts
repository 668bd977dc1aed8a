/**
 * `text.startsWith(prefix, at)` as a char loop. AT prefixes are short (`+QMTPUB:`, `+CSQ:`), and
 * for them the String#startsWith builtin call (argument checks, a RegExp test on the argument)
 * cost more than the compare; this loop is inlined where it is called. It runs for nearly every
 * received line: URC dispatch, response prefixes, awaited URCs.
 */
export function hasPrefix(text: string, prefix: string, at = 0): boolean {
  const n = prefix.length;
  if (at + n > text.length) return false;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(at + i) !== prefix.charCodeAt(i)) return false;
  }
  return true;
}
