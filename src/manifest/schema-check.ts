/**
 * Shape validation against the schemas in schemas/ (the files editors use too): the
 * manifest and test files, with ajv's errors turned into positioned, human messages.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { childPointer, pointerSegments } from './pointer.js';
import { didYouMean } from './suggest.js';
import { diagnosticFor, isRecord, valueAt, type Tree } from './tree.js';

/** A JSON Schema of a document users write: where it lives, and where `npm run build` puts its precompiled validator. */
export interface DocumentSchema {
  url: URL;
  /** ajv's standalone code for it, written by `scripts/build-validators.mjs` beside this module. */
  precompiled: string;
}

export const MANIFEST_SCHEMA: DocumentSchema = {
  url: new URL('../../schemas/manifest.schema.json', import.meta.url),
  precompiled: './manifest-schema.validate.cjs',
};

/** `*.test.yaml` files; the manifest's `tests:` section refers to its `$defs`, and it to the manifest's. */
export const TESTS_SCHEMA: DocumentSchema = {
  url: new URL('../../schemas/tests.schema.json', import.meta.url),
  precompiled: './tests-schema.validate.cjs',
};

export const DOCUMENT_SCHEMAS: readonly DocumentSchema[] = [MANIFEST_SCHEMA, TESTS_SCHEMA];

// ajv is CommonJS and costly to load and to compile with (~150-400 ms of a run), so it is
// required only when needed; `npm run build` precompiles the schemas instead.
const require = createRequire(import.meta.url);

/**
 * An ajv instance configured the way the document schemas need: draft 2020-12, every
 * error, `errorMessage` (a message annotation editors also show) as a known keyword, and
 * every document schema added, so their references to one another resolve.
 */
export function createManifestAjv(extra: Options = {}): Ajv2020 {
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, verbose: true, ...extra });
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  for (const schema of DOCUMENT_SCHEMAS) ajv.addSchema(JSON.parse(readFileSync(schema.url, 'utf8')) as object);
  return ajv;
}

/** The validator of `schema` in an ajv made by createManifestAjv. */
export function documentValidator(ajv: Ajv2020, schema: DocumentSchema): ValidateFunction {
  const { $id } = JSON.parse(readFileSync(schema.url, 'utf8')) as { $id: string };
  const validate = ajv.getSchema($id);
  if (validate === undefined) throw new Error(`${schema.url.pathname} was not added to ajv`);
  return validate;
}

const compiled = new Map<DocumentSchema, ValidateFunction>();

/** The precompiled validator from the build, else (running from the sources) one compiled now. */
function validatorOf(schema: DocumentSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = loadPrecompiled(schema) ?? documentValidator(createManifestAjv(), schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function loadPrecompiled(schema: DocumentSchema): ValidateFunction | null {
  try {
    return require(schema.precompiled) as ValidateFunction;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/** Shape problems of a parsed document, positioned: the manifest, or a test file with TESTS_SCHEMA. */
export function checkSchema(tree: Tree, schema: DocumentSchema = MANIFEST_SCHEMA): ManifestDiagnostic[] {
  const validate = validatorOf(schema);
  if (validate(tree.value)) return [];
  const diagnostics: ManifestDiagnostic[] = [];
  for (const error of withoutWrongKinds(withoutAlternatives(validate.errors ?? []))) {
    const diagnostic = describe(error, tree);
    if (diagnostic !== null) diagnostics.push(diagnostic);
  }
  return diagnostics;
}

/** Errors that say a value is not of a kind: the branches of a oneOf/anyOf it does not take. */
const KIND_KEYWORDS = new Set(['type', 'const', 'enum', 'oneOf', 'anyOf']);

/**
 * A value that may take one of several forms (`calls: name | {name, arguments} | [...]`)
 * fails every form it does not take. Said whole, that is noise: when the value took one
 * form (its errors are not about its kind), only that form's errors are kept; otherwise one
 * error says which forms there are (the outermost oneOf's errorMessage).
 */
function withoutAlternatives(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = new Map<string, ErrorObject>();
  // ajv reports an inner oneOf before the outer one at the same place: the last one is the outermost.
  for (const error of errors) if (error.keyword === 'oneOf' || error.keyword === 'anyOf') alternatives.set(error.instancePath, error);
  if (alternatives.size === 0) return [...errors];
  const within = (error: ErrorObject, at: string): boolean => error.instancePath === at || error.instancePath.startsWith(`${at}/`);
  let kept = [...errors];
  // Innermost places first, so an outer one sees what the inner ones left.
  for (const [at, alternative] of [...alternatives].sort(([a], [b]) => b.length - a.length)) {
    const inside = kept.filter((error) => within(error, at));
    const specific = inside.filter((error) => !(error.instancePath === at && KIND_KEYWORDS.has(error.keyword)));
    const keep = new Set(specific.length > 0 ? specific : [alternative]);
    kept = kept.filter((error) => !within(error, at) || keep.has(error));
  }
  return kept;
}

/**
 * A value of the wrong kind (a string where an assistant's mapping belongs) is said once:
 * the other rules at its place (`not both instructions and instructions_file`) are about a
 * value it is not.
 */
function withoutWrongKinds(errors: readonly ErrorObject[]): ErrorObject[] {
  const wrongKind = new Set(errors.filter((error) => error.keyword === 'type').map((error) => error.instancePath));
  return errors.filter((error) => error.keyword === 'type' || !wrongKind.has(error.instancePath));
}

const COLLECTIONS: Record<string, string> = {
  assistants: 'assistant',
  files: 'file',
  environments: 'environment',
  variables: 'variable',
  metadata: 'metadata entry',
  tests: 'test',
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
    case 'tests':
      return 'test name';
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
    case 'oneOf':
    case 'anyOf':
      return diagnosticFor(tree, pointer, schemaMessage(error) ?? `${label} ${error.message ?? 'is not allowed'}`);
    case 'pattern':
      return diagnosticFor(tree, pointer, `${label} ${quoted(value)} ${schemaMessage(error) ?? `must match ${String(params.pattern)}`}`);
    case 'minLength':
      return diagnosticFor(tree, pointer, `${label} must not be empty`);
    case 'maxLength':
      return diagnosticFor(tree, pointer, `${label} is ${typeof value === 'string' ? value.length : '?'} characters; at most ${String(params.limit)} allowed`);
    case 'minItems':
      return diagnosticFor(tree, pointer, `${label} has ${Array.isArray(value) ? value.length : '?'} items; at least ${String(params.limit)} required`);
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
