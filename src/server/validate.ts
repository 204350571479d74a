/**
 * Request validation helpers. Each throws an ApiError (400, invalid_request_error) whose
 * `param` names the field and whose message follows the real API's wording:
 *
 *   const body = requireObjectBody(ctx.body);
 *   rejectUnknownFields(body, ['metadata']);
 *   const metadata = checkMetadata(body.metadata);          // undefined when absent
 *   const name = checkString(body.name, 'name', { maxLength: 256, nullable: true });
 *
 * `param` paths use the API's notation: `tools[0].function.name`, `metadata.key`.
 */
import { invalidRequest } from './errors.js';

export type JsonObject = Record<string, unknown>;
export type Metadata = Record<string, string>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a string`, `an integer`, `a decimal`, `a boolean`, `an array`, `an object`, `null`. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a decimal';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

export function invalidType(param: string, expected: string, value: unknown): never {
  throw invalidRequest(
    `Invalid type for '${param}': expected ${expected}, but got ${describeType(value)} instead.`,
    param,
    'invalid_type',
  );
}

export function missingParameter(param: string): never {
  throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

/** The request body as an object; an absent body counts as `{}`. */
export function requireObjectBody(body: unknown): JsonObject {
  if (body === undefined) return {};
  if (!isPlainObject(body)) {
    throw invalidRequest(
      `Invalid type for request body: expected an object, but got ${describeType(body)} instead.`,
      null,
      'invalid_type',
    );
  }
  return body;
}

/** Rejects any key not in `allowed` (the spec's `additionalProperties: false`). */
export function rejectUnknownFields(obj: JsonObject, allowed: readonly string[], prefix = ''): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const param = prefix ? `${prefix}.${key}` : key;
      throw invalidRequest(`Unrecognized request argument supplied: ${param}`, param, 'unknown_parameter');
    }
  }
}

/** Length in characters (code points), as the API counts them. */
function characterCount(value: string, limit: number): number {
  // A string never has more code points than UTF-16 units, so short strings skip the count.
  if (value.length <= limit) return value.length;
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}

export interface StringRules {
  minLength?: number;
  maxLength?: number;
  /** Accept `null` (returned as null). */
  nullable?: boolean;
}

export function checkString(value: unknown, param: string, rules: StringRules & { nullable: true }): string | null;
export function checkString(value: unknown, param: string, rules?: StringRules): string;
export function checkString(value: unknown, param: string, rules: StringRules = {}): string | null {
  if (value === null && rules.nullable) return null;
  if (typeof value !== 'string') invalidType(param, 'a string', value);
  if (rules.maxLength !== undefined) {
    const length = characterCount(value, rules.maxLength);
    if (length > rules.maxLength) {
      throw invalidRequest(
        `Invalid '${param}': string too long. Expected a string with maximum length ${rules.maxLength}, but got a string with length ${length} instead.`,
        param,
        'string_above_max_length',
      );
    }
  }
  if (rules.minLength !== undefined && value.length < rules.minLength) {
    throw invalidRequest(
      `Invalid '${param}': string too short. Expected a string with minimum length ${rules.minLength}, but got a string with length ${value.length} instead.`,
      param,
      'string_below_min_length',
    );
  }
  return value;
}

export function checkArray(value: unknown, param: string, rules: { maxItems?: number; minItems?: number } = {}): unknown[] {
  if (!Array.isArray(value)) invalidType(param, 'an array', value);
  if (rules.maxItems !== undefined && value.length > rules.maxItems) {
    throw invalidRequest(
      `Invalid '${param}': array too long. Expected an array with maximum length ${rules.maxItems}, but got an array with length ${value.length} instead.`,
      param,
      'array_above_max_length',
    );
  }
  if (rules.minItems !== undefined && value.length < rules.minItems) {
    throw invalidRequest(
      `Invalid '${param}': empty array. Expected an array with minimum length ${rules.minItems}, but got an array with length ${value.length} instead.`,
      param,
      'empty_array',
    );
  }
  return value;
}

export function checkObject(value: unknown, param: string): JsonObject {
  if (!isPlainObject(value)) invalidType(param, 'an object', value);
  return value;
}

export function checkBoolean(value: unknown, param: string): boolean {
  if (typeof value !== 'boolean') invalidType(param, 'a boolean', value);
  return value;
}

export function checkNumber(value: unknown, param: string, rules: { min?: number; max?: number } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalidType(param, 'a number', value);
  checkRange(value, param, 'decimal', rules);
  return value;
}

export function checkInteger(value: unknown, param: string, rules: { min?: number; max?: number } = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) invalidType(param, 'an integer', value);
  checkRange(value, param, 'integer', rules);
  return value;
}

function checkRange(value: number, param: string, kind: string, rules: { min?: number; max?: number }): void {
  if (rules.min !== undefined && value < rules.min) {
    throw invalidRequest(
      `Invalid '${param}': ${kind} below minimum value. Expected a value greater than or equal to ${rules.min}, but got ${value} instead.`,
      param,
      `${kind}_below_min_value`,
    );
  }
  if (rules.max !== undefined && value > rules.max) {
    throw invalidRequest(
      `Invalid '${param}': ${kind} above maximum value. Expected a value less than or equal to ${rules.max}, but got ${value} instead.`,
      param,
      `${kind}_above_max_value`,
    );
  }
}

/** One of `allowed`, else `Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'.` */
export function checkEnum<T extends string>(value: unknown, param: string, allowed: readonly T[]): T {
  if (typeof value !== 'string') invalidType(param, 'a string', value);
  if (!(allowed as readonly string[]).includes(value)) {
    const quoted = allowed.map((v) => `'${v}'`);
    const list =
      quoted.length <= 2 ? quoted.join(' and ') : `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}`;
    throw invalidRequest(`Invalid value: '${value}'. Supported values are: ${list}.`, param, 'invalid_value');
  }
  return value as T;
}

export const METADATA_LIMITS = { maxKeys: 16, maxKeyLength: 64, maxValueLength: 512 } as const;

/**
 * Metadata: at most 16 keys of at most 64 characters, string values of at most 512.
 * Boolean and number values are stored as their strings (`false` -> "false", `3` -> "3"),
 * as the hosted API did: clients written against it send them.
 * Returns undefined when absent and null when explicitly null.
 */
export function checkMetadata(value: unknown, param = 'metadata'): Metadata | null | undefined {
  if (value === undefined || value === null) return value;
  const obj = checkObject(value, param);
  const keys = Object.keys(obj);
  if (keys.length > METADATA_LIMITS.maxKeys) {
    throw invalidRequest(
      `Invalid '${param}': too many properties. Expected an object with at most ${METADATA_LIMITS.maxKeys} properties, but got an object with ${keys.length} properties instead.`,
      param,
      'object_above_max_properties',
    );
  }
  const entries: Array<[string, string]> = [];
  for (const key of keys) {
    const keyLength = characterCount(key, METADATA_LIMITS.maxKeyLength);
    if (keyLength > METADATA_LIMITS.maxKeyLength) {
      throw invalidRequest(
        `Invalid '${param}': key too long. Expected keys with maximum length ${METADATA_LIMITS.maxKeyLength}, but got a key with length ${keyLength} instead.`,
        param,
        'string_above_max_length',
      );
    }
    const raw = obj[key];
    const value = typeof raw === 'boolean' || (typeof raw === 'number' && Number.isFinite(raw)) ? String(raw) : raw;
    entries.push([key, checkString(value, `${param}.${key}`, { maxLength: METADATA_LIMITS.maxValueLength })]);
  }
  // fromEntries defines own properties, so even a key named `__proto__` stays a key.
  return Object.fromEntries(entries);
}
