/**
 * Says why a payload cannot become JSON before JSON.stringify throws a TypeError that the publish
 * path would otherwise report as a link failure.
 */

/** The reason value cannot be serialised, or undefined when it can. */
export function unserialisableReason(value: unknown): string | undefined {
  const ancestors: object[] = [];
  function walk(v: unknown): string | undefined {
    if (typeof v === 'bigint') return 'BigInt cannot be serialised';
    if (typeof v !== 'object' || v === null || Buffer.isBuffer(v)) return undefined;
    if (ancestors.includes(v)) return 'payload has a circular reference';
    ancestors.push(v);
    try {
      for (const child of Object.values(v)) {
        const reason = walk(child);
        if (reason) return reason;
      }
      return undefined;
    } finally {
      ancestors.pop();
    }
  }
  return walk(value);
}
