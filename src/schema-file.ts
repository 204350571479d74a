/**
 * Validators for the JSON Schemas shipped in `schemas/` (beside `dist/` and `src/`).
 * A validator answers with a one-line problem description, or null when valid.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default import is typed as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type ProblemFinder = (document: unknown) => string | null;

/** Compiles `schemas/<fileName>` on first use; `fragment` picks a `$defs` entry, e.g. `#/$defs/entry`. */
export function schemaValidator(fileName: string, fragment = ''): ProblemFinder {
  let validate: ValidateFunction | undefined;
  return (document) => {
    validate ??= compile(fileName, fragment);
    if (validate(document)) return null;
    const first = validate.errors?.[0];
    return first === undefined ? 'is invalid' : describe(first);
  };
}

const compiled = new Map<string, Ajv2020>();

function compile(fileName: string, fragment: string): ValidateFunction {
  const url = new URL(`../schemas/${fileName}`, import.meta.url);
  let ajv = compiled.get(fileName);
  const schema = JSON.parse(readFileSync(url, 'utf8')) as { $id: string };
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: false, strict: true, discriminator: true });
    addFormats(ajv);
    ajv.addSchema(schema);
    compiled.set(fileName, ajv);
  }
  const validate = ajv.getSchema(`${schema.$id}${fragment}`);
  if (validate === undefined) throw new Error(`schema ${url.pathname} has no ${fragment || 'root'}`);
  return validate;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'the document' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    return `${where} has an unknown property "${String(error.params['additionalProperty'])}"`;
  }
  if (error.keyword === 'required') {
    return `${where} is missing "${String(error.params['missingProperty'])}"`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}
