/**
 * Validators for the JSON Schemas shipped in `schemas/` (beside `dist/` and `src/`).
 * A validator answers with a one-line problem description, or null when valid.
 *
 * ajv is costly to load and to compile with (~150-300 ms of a run that reads a state), so
 * `npm run build` writes ajv's standalone code for each validator in PRECOMPILED beside this
 * module; ajv itself is loaded only for one that is not there (running from the sources).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js';

export type ProblemFinder = (document: unknown) => string | null;

/** The schema files and `$defs` fragments validated at run time: what the build precompiles. */
export const PRECOMPILED: ReadonlyArray<{ fileName: string; fragment: string }> = [
  { fileName: 'state.schema.json', fragment: '' },
  { fileName: 'state.schema.json', fragment: '#/$defs/journalEntry' },
  { fileName: 'plan.schema.json', fragment: '' },
];

/** Where the build writes the precompiled validator of a schema and fragment, relative to this module. */
export function precompiledPath(fileName: string, fragment: string): string {
  const name = `${fileName.replace(/\.schema\.json$/, '')}${fragment.replace(/[^A-Za-z0-9]+/g, '-')}`;
  return `./schema-validators/${name}.validate.cjs`;
}

const require = createRequire(import.meta.url);

/** Validates against `schemas/<fileName>` (compiled, or loaded precompiled, on first use); `fragment` picks a `$defs` entry, e.g. `#/$defs/entry`. */
export function schemaValidator(fileName: string, fragment = ''): ProblemFinder {
  let validate: ValidateFunction | undefined;
  return (document) => {
    validate ??= loadPrecompiled(fileName, fragment) ?? schemaAjv(fileName).validator(fragment);
    if (validate(document)) return null;
    const first = validate.errors?.[0];
    return first === undefined ? 'is invalid' : describe(first);
  };
}

function loadPrecompiled(fileName: string, fragment: string): ValidateFunction | null {
  try {
    return require(precompiledPath(fileName, fragment)) as ValidateFunction;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

const compiled = new Map<string, Ajv2020>();

/**
 * The ajv holding `schemas/<fileName>` and a validator of one of its fragments; `extra`
 * options make a fresh one (the build's, with `code.source`).
 */
export function schemaAjv(fileName: string, extra?: Options): { ajv: Ajv2020; validator(fragment: string): ValidateFunction } {
  const url = new URL(`../schemas/${fileName}`, import.meta.url);
  const schema = JSON.parse(readFileSync(url, 'utf8')) as { $id: string };
  let ajv = extra === undefined ? compiled.get(fileName) : undefined;
  if (!ajv) {
    const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    // ajv-formats is CommonJS; its export is the plugin function.
    const addFormats = require('ajv-formats') as (ajv: Ajv2020) => Ajv2020;
    ajv = new Ajv({ allErrors: false, strict: true, discriminator: true, ...extra });
    addFormats(ajv);
    ajv.addSchema(schema);
    if (extra === undefined) compiled.set(fileName, ajv);
  }
  const holder = ajv;
  return {
    ajv: holder,
    validator(fragment: string): ValidateFunction {
      const validate = holder.getSchema(`${schema.$id}${fragment}`);
      if (validate === undefined) throw new Error(`schema ${url.pathname} has no ${fragment || 'root'}`);
      return validate;
    },
  };
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
