/**
 * Shape validation against schemas/manifest.schema.json (the file editors use too), with
 * ajv's errors turned into positioned, human messages.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { childPointer, pointerSegments } from './pointer.js';
import { didYouMean } from './suggest.js';
import { diagnosticFor, isRecord, valueAt, type Tree } from './tree.js';

export const MANIFEST_SCHEMA_URL = new URL('../../schemas/manifest.schema.json', import.meta.url);

// ajv is CommonJS and costly to load and to compile with (~150-400 ms of a run), so it is
// required only when needed; `npm run build` precompiles the manifest schema instead.
const require = createRequire(import.meta.url);

/** What `scripts/build-validators.mjs` writes beside this module: ajv's standalone code for the schema. */
export const PRECOMPILED_VALIDATOR = './manifest-schema.validate.cjs';

/**
 * An ajv instance configured the way the manifest schema needs: draft 2020-12, every
 * error, and `errorMessage` (a message annotation editors also show) as a known keyword.
 */
export function createManifestAjv(extra: Options = {}): Ajv2020 {
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, verbose: true, ...extra });
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  return ajv;
}

let compiled: ValidateFunction | undefined;

/** The precompiled validator from the build, else (running from the sources) one compiled now. */
function manifestValidator(): ValidateFunction {
  compiled ??= loadPrecompiled() ?? createManifestAjv().compile(JSON.parse(readFileSync(MANIFEST_SCHEMA_URL, 'utf8')) as object);
  return compiled;
}

function loadPrecompiled(): ValidateFunction | null {
  try {
    return require(PRECOMPILED_VALIDATOR) as ValidateFunction;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

export function checkSchema(tree: Tree): ManifestDiagnostic[] {
  const validate = manifestValidator();
  if (validate(tree.value)) return [];
  const diagnostics: ManifestDiagnostic[] = [];
  for (const error of validate.errors ?? []) {
    const diagnostic = describe(error, tree);
    if (diagnostic !== null) diagnostics.push(diagnostic);
  }
  return diagnostics;
}

const COLLECTIONS: Record<string, string> = {
  assistants: 'assistant',
  files: 'file',
  environments: 'environment',
  variables: 'variable',
  metadata: 'metadata entry',
};

/** How a message names the node at `pointer`: `assistant "support"`, `tools item 2`, `model`. */
function labelOf(pointer: string): string {
  const segments = pointerSegments(pointer);
  const last = segments.at(-1);
  const parent = segments.at(-2);
  if (last === undefined) return 'the manifest';
  if (/^\d+$/.test(last)) return `${parent ?? 'list'} item ${Number(last) + 1}`;
  if (parent === 'function' && last === 'name') return 'function name';
  const collection = parent === undefined || !Object.hasOwn(COLLECTIONS, parent) ? undefined : COLLECTIONS[parent];
  if (collection !== undefined && segments.at(-3) !== 'variables') return `${collection} "${last}"`;
  return last;
}

/** What a key under the node at `pointer` is called: `assistant key`, `metadata key`. */
function keyKindOf(pointer: string): string {
  const last = pointerSegments(pointer).at(-1);
  switch (last) {
    case 'assistants':
      return 'assistant key';
    case 'environments':
      return 'environment name';
    case 'variables':
      return 'variable name';
    case 'files':
      return 'file name';
    case 'metadata':
      return 'metadata key';
    default:
      return 'key';
  }
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  integer: 'a whole number',
  null: 'empty',
};

function kindOf(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'boolean') return `${String(value)}`;
  return `a ${typeof value}`;
}

function quoted(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

function schemaMessage(error: ErrorObject): string | undefined {
  const parent: unknown = error.parentSchema;
  return isRecord(parent) && typeof parent.errorMessage === 'string' ? parent.errorMessage : undefined;
}

function describe(error: ErrorObject, tree: Tree): ManifestDiagnostic | null {
  const pointer = error.instancePath;
  const value = valueAt(tree.value, pointer);
  const params = error.params as Record<string, unknown>;

  if (error.keyword === 'if' || error.keyword === 'propertyNames') return null;

  // Errors about a key (propertyNames' inner errors name the offending key).
  if (error.propertyName !== undefined) {
    const key = error.propertyName;
    const at = childPointer(pointer, key);
    const kind = keyKindOf(pointer);
    const custom = schemaMessage(error);
    if (error.keyword === 'not' && custom !== undefined) return diagnosticFor(tree, at, custom, 'key');
    if (error.keyword === 'maxLength') {
      return diagnosticFor(tree, at, `${kind} "${key}" is ${key.length} characters; at most ${String(params.limit)} allowed`, 'key');
    }
    if (error.keyword === 'minLength') return diagnosticFor(tree, at, `${kind} must not be empty`, 'key');
    return diagnosticFor(tree, at, `${kind} "${key}" ${custom ?? error.message ?? 'is not allowed'}`, 'key');
  }

  const label = labelOf(pointer);
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return diagnosticFor(tree, pointer, `${label} is missing required field "${missing}"`, 'key');
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const properties = isRecord(error.parentSchema) && isRecord(error.parentSchema.properties) ? Object.keys(error.parentSchema.properties) : [];
      const where = pointer === '' ? 'at the top level' : `in ${label}`;
      return diagnosticFor(tree, childPointer(pointer, field), `unknown field "${field}" ${where}${didYouMean(field, properties)}`, 'key');
    }
    case 'type': {
      const expected = (Array.isArray(params.type) ? params.type : [params.type]).map((t) => TYPE_NAMES[String(t)] ?? String(t));
      const hint = expected[0] === 'a string' && (typeof value === 'number' || typeof value === 'boolean') ? `; quote it: "${String(value)}"` : '';
      return diagnosticFor(tree, pointer, `${label} must be ${expected.join(' or ')}, not ${kindOf(value)}${hint}`);
    }
    case 'enum': {
      const allowed = (Array.isArray(params.allowedValues) ? params.allowedValues : []).map(String);
      const suggestion = typeof value === 'string' ? didYouMean(value, allowed) : '';
      return diagnosticFor(tree, pointer, `${label} ${quoted(value)} is not one of: ${allowed.join(', ')}${suggestion}`);
    }
    case 'const':
    case 'not':
      return diagnosticFor(tree, pointer, schemaMessage(error) ?? `${label} ${error.message ?? 'is not allowed'}`);
    case 'pattern':
      return diagnosticFor(tree, pointer, `${label} ${quoted(value)} ${schemaMessage(error) ?? `must match ${String(params.pattern)}`}`);
    case 'minLength':
      return diagnosticFor(tree, pointer, `${label} must not be empty`);
    case 'maxLength':
      return diagnosticFor(tree, pointer, `${label} is ${typeof value === 'string' ? value.length : '?'} characters; at most ${String(params.limit)} allowed`);
    case 'maxItems':
      return diagnosticFor(tree, pointer, `${label} has ${Array.isArray(value) ? value.length : '?'} items; at most ${String(params.limit)} allowed`);
    case 'maxProperties': {
      const count = isRecord(value) ? Object.keys(value).length : 0;
      const reserved = pointerSegments(pointer).at(-1) === 'metadata' ? ' (the API allows 16 and one is reserved for ownership)' : '';
      return diagnosticFor(tree, pointer, `${label} has ${count} entries; at most ${String(params.limit)} allowed${reserved}`);
    }
    case 'uniqueItems': {
      const later = Math.max(Number(params.i), Number(params.j));
      const earlier = Math.min(Number(params.i), Number(params.j));
      const item = childPointer(pointer, later);
      return diagnosticFor(tree, item, `${quoted(valueAt(tree.value, item))} is listed twice in ${label} (also item ${earlier + 1})`);
    }
    default:
      return diagnosticFor(tree, pointer, `${label} ${error.message ?? 'is invalid'}`);
  }
}
