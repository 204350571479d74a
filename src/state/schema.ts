/**
 * Validation against `schemas/state.schema.json` (the state document, and one journal
 * entry from its `$defs`). Results are one-line problem descriptions, or null when valid.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

/** The schema file ships beside `dist/` (and `src/`) in the package's `schemas/`. */
const SCHEMA_URL = new URL('../../schemas/state.schema.json', import.meta.url);

interface Validators {
  state: ValidateFunction;
  journalEntry: ValidateFunction;
}

let validators: Validators | undefined;

function compile(): Validators {
  const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as { $id: string };
  const ajv = new Ajv2020({ allErrors: false, strict: true, discriminator: true });
  ajv.addSchema(schema);
  const state = ajv.getSchema(schema.$id);
  const journalEntry = ajv.getSchema(`${schema.$id}#/$defs/journalEntry`);
  if (state === undefined || journalEntry === undefined) {
    throw new Error(`state schema ${SCHEMA_URL.pathname} lacks its root or $defs/journalEntry`);
  }
  return { state, journalEntry };
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

function check(validate: ValidateFunction, document: unknown): string | null {
  if (validate(document)) return null;
  const first = validate.errors?.[0];
  return first === undefined ? 'is invalid' : describe(first);
}

/** Why `document` is not a valid current-version state, or null. */
export function stateProblem(document: unknown): string | null {
  validators ??= compile();
  return check(validators.state, document);
}

/** Why `document` is not a valid journal entry, or null. */
export function journalEntryProblem(document: unknown): string | null {
  validators ??= compile();
  return check(validators.journalEntry, document);
}
