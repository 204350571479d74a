/**
 * Collators are made on first use, not at import: making one loads ICU's collation data
 * (~10 ms), which a plan would otherwise pay before its first request, though it only
 * sorts once the live objects are read.
 */
let natural: Intl.Collator | undefined;
let locale: Intl.Collator | undefined;

/** Names in the order people read them: digits as numbers, so a6 comes before a59. */
export function naturalCompare(a: string, b: string): number {
  natural ??= new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });
  return natural.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * `a.localeCompare(b)`, the same order, from one collator made once: String#localeCompare
 * costs ~4x as much a call (sorting 1,000 assistant ids: ~40 ms instead of ~9).
 */
export function localeCompare(a: string, b: string): number {
  locale ??= new Intl.Collator();
  return locale.compare(a, b);
}
