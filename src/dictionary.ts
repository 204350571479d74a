/**
 * Objects keyed by what users name (manifest keys, file names, metadata keys): without a
 * prototype, so `constructor`, `toString` and `__proto__` are ordinary keys. An ordinary
 * object answers `obj.constructor` with a function and drops an assignment to
 * `obj.__proto__`. JSON.stringify and Object.entries treat these objects as plain ones.
 */

/** A fresh prototype-less object with these entries. */
export function dictionary<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const result = Object.create(null) as Record<string, T>;
  for (const [key, value] of entries) result[key] = value;
  return result;
}

/** A prototype-less copy of `record` (its own enumerable entries). */
export function dictionaryOf<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return dictionary(Object.entries(record));
}

/**
 * `record` itself made prototype-less: for an object nobody else holds (fresh from
 * JSON.parse, whose `__proto__` keys are own entries), without copying thousands of entries.
 */
export function asDictionary<T>(record: Record<string, T>): Record<string, T> {
  return Object.setPrototypeOf(record, null) as Record<string, T>;
}

/** `record[key]` when `key` is its own entry, else undefined (never an inherited member). */
export function ownEntry<T>(record: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return record !== null && record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A prototype-less copy of `record` with its keys in sorted order (undefined values dropped), for stable output. */
export function sortedDictionary<T>(record: Readonly<Record<string, T | undefined>>): Record<string, T> {
  return dictionary(Object.keys(record).sort().flatMap((key) => {
    const value = record[key];
    return value === undefined ? [] : [[key, value] as const];
  }));
}
