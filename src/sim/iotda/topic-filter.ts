/**
 * MQTT 3.1.1 topic filter matching (§4.7), used to decide how a downlink reaches a device.
 * Deliberately not shared with src/link/topic-match.ts: the emulator is the tests' oracle and
 * must not inherit a mistake from the product code it checks (a shared '$' rule bug would pass).
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // §4.7.2: wildcards at the first level never match topics starting with '$'.
  if (topic.startsWith('$') && (f[0] === '#' || f[0] === '+')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
