/**
 * Canonical JSON: object keys sorted at every depth, `undefined` members dropped. Two
 * values that mean the same (tools with keys in another order, say) serialize the same,
 * so comparing and hashing compare meaning, and files written this way diff stably.
 */

/**
 * One line, no whitespace: for comparing, hashing and journal lines. JSON.stringify of a
 * copy of the value with every object's keys sorted: JSON.stringify writes the text faster
 * than JavaScript could, above all in a fresh process, where JavaScript runs cold (a
 * 1,000-assistant plan's hash text: ~35 ms of CPU instead of ~70 written out key by key).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedCopy(value)) as string;
}

/** `value` with every object's keys sorted and `undefined` members dropped; arrays and scalars as they are. */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedCopy);
  // An ordinary object, not a prototype-less one: V8 keeps those as hash tables, which
  // JSON.stringify writes ~25% slower. So a `__proto__` key is defined, not assigned.
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    if (key === '__proto__') Object.defineProperty(sorted, key, { value: sortedCopy(member), enumerable: true, writable: true, configurable: true });
    else sorted[key] = sortedCopy(member);
  }
  return sorted;
}

/**
 * canonicalJson(a) === canonicalJson(b), without writing either when they are the same
 * plain data (the same keys and values, in any order), as almost every value a plan
 * compares is: anything else is settled by the texts.
 */
export function sameCanonicalJson(a: unknown, b: unknown): boolean {
  return sameData(a, b) || canonicalJson(a) === canonicalJson(b);
}

const isOwnEnumerable = Object.prototype.propertyIsEnumerable;

/** The same scalars, arrays of the same data, objects with the same own keys holding the same data. */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!isOwnEnumerable.call(b, key) || !sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * Two-space indented with a final newline: for files people read and diff. Objects are
 * sorted one at a time as they are written, not copied whole first: a state of 10,000
 * assistants is ~20 MB, and a sorted copy of all of it raised apply's peak memory.
 */
export function stringifySorted(value: unknown): string {
  return `${JSON.stringify(value, (_key, member: unknown) => (isObject(member) ? sortedMembers(member) : member), 2)}\n`;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A shallow copy of `value` with its keys sorted and `undefined` members dropped. */
function sortedMembers(value: object): Record<string, unknown> {
  // Prototype-less: a `__proto__` key is data like any other (see dictionary.ts).
  const sorted = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = member;
  }
  return sorted;
}
