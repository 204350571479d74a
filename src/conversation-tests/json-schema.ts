/**
 * Checking a reply or a call's arguments against a JSON Schema a test gives (the loader
 * made sure each one compiles). ajv is loaded on first use only.
 */
import { createRequire } from 'node:module';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonValue } from '../json.js';

let ajv: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** Why `value` does not satisfy `schema` (its first problem, one line), or null when it does. */
export function jsonSchemaProblem(schema: JsonValue, value: JsonValue): string | null {
  if (typeof schema !== 'object' || schema === null) return null;
  let validate = compiled.get(schema);
  if (validate === undefined) {
    if (ajv === undefined) {
      const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
      ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });
    }
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return null;
  const error = validate.errors?.[0];
  if (error === undefined) return 'it does not satisfy the schema';
  const where = error.instancePath === '' ? 'the value' : error.instancePath;
  return `${where} ${error.message ?? 'is invalid'}`;
}
