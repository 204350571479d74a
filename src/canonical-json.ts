/**
 * Canonical JSON: object keys sorted at every depth, `undefined` members dropped. Two
 * values that mean the same (tools with keys in another order, say) serialize the same,
 * so comparing and hashing compare meaning, and files written this way diff stably.
 */

/**
 * One line, no whitespace: for comparing, hashing and journal lines. Written straight to
 * the string, without a sorted copy of the value (a plan's hash and fingerprints run it
 * over every object of the plan): the text is JSON.stringify's of the sorted copy.
 */
export function canonicalJson(value: unknown): string {
  return write(value) as string;
}

/** `value` as canonical JSON; undefined where JSON.stringify leaves a member out (undefined, a function, a symbol). */
function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += `${i === 0 ? '' : ','}${write(value[i]) ?? 'null'}`;
        return `${out}]`;
      }
      let out = '{';
      for (const key of orderedKeys(value)) {
        const member = write((value as Record<string, unknown>)[key]);
        if (member !== undefined) out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${member}`;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * The keys in the order the sorted copy printed them: every JS object lists its
 * array-index keys ("0", "42") first, in numeric order, then the others in the order they
 * were added, which for the copy was sorted. The value's own keys list the index ones first too.
 */
function orderedKeys(value: object): string[] {
  const keys = Object.keys(value);
  let indexes = 0;
  while (indexes < keys.length && ARRAY_INDEX.test(keys[indexes] as string) && Number(keys[indexes]) < 2 ** 32 - 1) indexes++;
  if (indexes === 0) return keys.sort();
  return [...keys.slice(0, indexes), ...keys.slice(indexes).sort()];
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
