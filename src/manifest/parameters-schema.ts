/**
 * A function tool's `parameters` must itself be a usable JSON Schema (draft 2020-12)
 * describing an object: checked against the meta-schema, then compiled so that broken
 * `$ref`s are caught too. Problems point at the offending node, in the manifest or in
 * the parameters file.
 */
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject } from 'ajv/dist/2020.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { childPointer, isWithin } from './pointer.js';
import { diagnosticFor, isRecord, valueAt, type Tree } from './tree.js';

let ajv: Ajv2020 | undefined;

/** Required on first use: a manifest without function tools never loads ajv. */
function metaAjv(): Ajv2020 {
  if (ajv === undefined) {
    const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  }
  return ajv;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const where = error.instancePath === '' ? 'the schema' : `"${error.instancePath.slice(1).replaceAll('/', '.')}"`;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `${where} must be one of: ${params.allowedValues.map(String).join(', ')}`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

/**
 * Checks the JSON Schema at `pointer` in `tree`. Messages start with `label`
 * ("parameters of function get_weather"). `describesObject` (the default, for function
 * arguments): the schema must be of an object.
 */
export function checkParametersSchema(tree: Tree, pointer: string, label: string, { describesObject = true } = {}): ManifestDiagnostic[] {
  const schema = valueAt(tree.value, pointer);
  if (!isRecord(schema)) return [diagnosticFor(tree, pointer, `${label} must be a JSON Schema object`)];
  if (describesObject && schema.type !== undefined && schema.type !== 'object') {
    return [diagnosticFor(tree, childPointer(pointer, 'type'), `${label} must describe an object: set type to "object"`)];
  }
  const validator = metaAjv();
  if (!validator.validateSchema(schema)) {
    // The meta-schema reports each problem several times (enum, then type, then anyOf);
    // the first error at each node is the one that names the fix.
    const diagnostics: ManifestDiagnostic[] = [];
    const reported: string[] = [];
    for (const error of validator.errors ?? []) {
      if (reported.some((path) => isWithin(path, error.instancePath) || isWithin(error.instancePath, path))) continue;
      reported.push(error.instancePath);
      diagnostics.push(diagnosticFor(tree, pointer + error.instancePath, `${label} is not valid JSON Schema: ${describe(error)}`));
    }
    return diagnostics;
  }
  try {
    validator.compile(schema);
    return [];
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return [diagnosticFor(tree, pointer, `${label} is not a usable JSON Schema: ${reason}`)];
  } finally {
    validator.removeSchema();
  }
}
