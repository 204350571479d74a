/**
 * Canonical JSON: object keys sorted at every depth, `undefined` members dropped. Two
 * values that mean the same (tools with keys in another order, say) serialize the same,
 * so comparing and hashing compare meaning, and files written this way diff stably.
 */

/** One line, no whitespace: for comparing, hashing and journal lines. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Two-space indented with a final newline: for files people read and diff. */
export function stringifySorted(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // Prototype-less: a `__proto__` key is data like any other (see dictionary.ts).
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = sortKeys(member);
    }
    return sorted;
  }
  return value;
}
