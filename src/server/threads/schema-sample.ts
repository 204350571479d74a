import { isPlainObject, type JsonObject } from '../validate.js';

/**
 * The smallest value that satisfies a JSON Schema, as the stand-in model's function
 * arguments: `const`, else the first `enum` value, else `default`, else a minimal value of
 * the schema's type (objects get their required properties only, arrays `minItems` items,
 * numbers their lower bound, strings `minLength` letters or a sample for a known `format`).
 * `anyOf`/`oneOf` take their first branch; `allOf` branches are merged.
 *
 * What it builds is bounded: a schema asking for more than MAX_SAMPLE_SIZE characters of
 * JSON (20,000 lists of 20,000 items, a `minLength` of a billion) is refused with a
 * SampleTooLargeError before it is built, and so is one that only takes that much work.
 */

/** The most JSON the sampler writes for one function call, in characters (about). */
export const MAX_SAMPLE_SIZE = 64 * 1024;
const MAX_DEPTH = 16;

export class SampleTooLargeError extends Error {
  override readonly name = 'SampleTooLargeError';

  constructor() {
    super(`the sample would be larger than ${MAX_SAMPLE_SIZE} characters`);
  }
}

/** What is left to spend: every value costs at least 1, strings their length. */
class Budget {
  private left = MAX_SAMPLE_SIZE;

  spend(size: number): void {
    this.left -= size;
    if (this.left < 0) throw new SampleTooLargeError();
  }
}

export function sampleFromSchema(schema: unknown): unknown {
  return sample(schema, 0, new Budget());
}

function sample(schema: unknown, depth: number, budget: Budget): unknown {
  budget.spend(1);
  if (!isPlainObject(schema) || depth > MAX_DEPTH) return {};
  if ('const' in schema) return given(schema['const'], budget);
  const choices = schema['enum'];
  if (Array.isArray(choices) && choices.length > 0) return given(choices[0], budget);
  if ('default' in schema) return given(schema['default'], budget);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) return sample(branches[0], depth + 1, budget);
  }
  const allOf = schema['allOf'];
  if (Array.isArray(allOf) && allOf.length > 0) return sample(mergeAllOf(schema, allOf), depth + 1, budget);

  switch (schemaType(schema)) {
    case 'object':
      return sampleObject(schema, depth, budget);
    case 'array':
      return sampleArray(schema, depth, budget);
    case 'string':
      return sampleString(schema, budget);
    case 'integer':
      return sampleNumber(schema, true);
    case 'number':
      return sampleNumber(schema, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return {};
  }
}

/** A value the schema spells out (`const`, `enum`, `default`), charged at its JSON size. */
function given(value: unknown, budget: Budget): unknown {
  if (value === undefined || value === null) return null;
  budget.spend(JSON.stringify(value).length);
  return value;
}

function schemaType(schema: JsonObject): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const named = type.filter((entry): entry is string => typeof entry === 'string');
    return named.find((entry) => entry !== 'null') ?? named[0];
  }
  if ('properties' in schema) return 'object';
  if ('items' in schema) return 'array';
  return undefined;
}

/** An object for property names from the schema: `__proto__` and `constructor` stay plain keys. */
function dictionary(): JsonObject {
  return Object.create(null) as JsonObject;
}

function mergeAllOf(schema: JsonObject, branches: unknown[]): JsonObject {
  const properties = dictionary();
  const required: unknown[] = [];
  let type: unknown = schema['type'];
  for (const branch of branches) {
    if (!isPlainObject(branch)) continue;
    type ??= branch['type'];
    const branchProperties = branch['properties'];
    if (isPlainObject(branchProperties)) Object.assign(properties, branchProperties);
    const branchRequired = branch['required'];
    if (Array.isArray(branchRequired)) required.push(...branchRequired);
  }
  const merged: JsonObject = { properties, required };
  if (type !== undefined) merged['type'] = type;
  return merged;
}

function sampleObject(schema: JsonObject, depth: number, budget: Budget): JsonObject {
  const properties = isPlainObject(schema['properties']) ? schema['properties'] : dictionary();
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  const result = dictionary();
  for (const name of required) {
    if (typeof name !== 'string') continue;
    budget.spend(name.length + 3);
    result[name] = sample(Object.hasOwn(properties, name) ? properties[name] : {}, depth + 1, budget);
  }
  return result;
}

/** A count the schema asks for (`minItems`, `minLength`), refused up front when it cannot fit. */
function count(value: unknown, budget: Budget): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.ceil(value)) : 0;
  budget.spend(n);
  return n;
}

function sampleArray(schema: JsonObject, depth: number, budget: Budget): unknown[] {
  const minItems = count(schema['minItems'], budget);
  const items = schema['items'];
  return Array.from({ length: minItems }, () => sample(isPlainObject(items) ? items : {}, depth + 1, budget));
}

const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '1970-01-01T00:00:00Z',
  date: '1970-01-01',
  time: '00:00:00Z',
  email: 'user@example.com',
  uri: 'https://example.com',
  url: 'https://example.com',
  uuid: '00000000-0000-0000-0000-000000000000',
  hostname: 'example.com',
  ipv4: '127.0.0.1',
  ipv6: '::1',
};

function sampleString(schema: JsonObject, budget: Budget): string {
  const format = schema['format'];
  if (typeof format === 'string' && Object.hasOwn(FORMAT_SAMPLES, format)) return FORMAT_SAMPLES[format] ?? '';
  return 'x'.repeat(count(schema['minLength'], budget));
}

function sampleNumber(schema: JsonObject, integer: boolean): number {
  const minimum = schema['minimum'];
  const exclusiveMinimum = schema['exclusiveMinimum'];
  const maximum = schema['maximum'];
  let value = 0;
  if (typeof minimum === 'number') value = minimum;
  else if (typeof exclusiveMinimum === 'number') value = integer ? Math.floor(exclusiveMinimum) + 1 : exclusiveMinimum + 1;
  else if (typeof maximum === 'number' && maximum < 0) value = maximum;
  return integer ? Math.ceil(value) : value;
}
