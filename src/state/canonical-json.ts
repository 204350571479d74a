/** JSON with object keys sorted at every depth, so a file's diffs are stable. */

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return sorted;
  }
  return value;
}

/** Pretty (two-space) JSON with sorted keys and a final newline. */
export function stringifySorted(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** One-line JSON with sorted keys (a journal line, without its newline). */
export function stringifySortedLine(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}
