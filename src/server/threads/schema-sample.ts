import { isPlainObject, type JsonObject } from '../validate.js';

/**
 * The smallest value that satisfies a JSON Schema, as the stand-in model's function
 * arguments: `const`, else the first `enum` value, else `default`, else a minimal value of
 * the schema's type (objects get their required properties only, arrays `minItems` items,
 * numbers their lower bound, strings `minLength` letters or a sample for a known `format`).
 * `anyOf`/`oneOf` take their first branch; `allOf` branches are merged.
 */
export function sampleFromSchema(schema: unknown, depth = 0): unknown {
  if (!isPlainObject(schema) || depth > 16) return {};
  if ('const' in schema) return schema['const'] ?? null;
  const choices = schema['enum'];
  if (Array.isArray(choices) && choices.length > 0) return choices[0] ?? null;
  if ('default' in schema) return schema['default'] ?? null;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) return sampleFromSchema(branches[0], depth + 1);
  }
  const allOf = schema['allOf'];
  if (Array.isArray(allOf) && allOf.length > 0) return sampleFromSchema(mergeAllOf(schema, allOf), depth + 1);

  switch (schemaType(schema)) {
    case 'object':
      return sampleObject(schema, depth);
    case 'array':
      return sampleArray(schema, depth);
    case 'string':
      return sampleString(schema);
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

function mergeAllOf(schema: JsonObject, branches: unknown[]): JsonObject {
  const properties: JsonObject = {};
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

function sampleObject(schema: JsonObject, depth: number): JsonObject {
  const properties = isPlainObject(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  const result: JsonObject = {};
  for (const name of required) {
    if (typeof name !== 'string') continue;
    result[name] = sampleFromSchema(properties[name] ?? {}, depth + 1);
  }
  return result;
}

function sampleArray(schema: JsonObject, depth: number): unknown[] {
  const minItems = typeof schema['minItems'] === 'number' ? schema['minItems'] : 0;
  const items = schema['items'];
  return Array.from({ length: minItems }, () => sampleFromSchema(isPlainObject(items) ? items : {}, depth + 1));
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

function sampleString(schema: JsonObject): string {
  const format = schema['format'];
  if (typeof format === 'string' && FORMAT_SAMPLES[format] !== undefined) return FORMAT_SAMPLES[format];
  const minLength = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
  return 'x'.repeat(minLength);
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
