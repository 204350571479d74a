/**
 * The validators `npm run build` precompiles (dist/, used by the CLI) must judge every
 * manifest and test file exactly as ones compiled from schemas/ at run time do.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createManifestAjv, documentValidator, MANIFEST_SCHEMA, TESTS_SCHEMA, type DocumentSchema } from '../../src/manifest/schema-check.js';

const root = join(import.meta.dirname, '..', '..');
const load = createRequire(join(root, 'dist', 'manifest', 'schema-check.js'));
const validators = (schema: DocumentSchema): { precompiled: ValidateFunction; runtime: ValidateFunction } => ({
  precompiled: load(schema.precompiled) as ValidateFunction,
  runtime: documentValidator(createManifestAjv(), schema),
});

const documents: Record<string, unknown> = {
  quickstart: parse(readFileSync(join(root, 'examples/quickstart/assistants.yaml'), 'utf8')),
  functions: parse(readFileSync(join(root, 'examples/functions/assistants.yaml'), 'utf8')),
  environments: parse(readFileSync(join(root, 'examples/environments/assistants.yaml'), 'utf8')),
  'wrong version and unknown field': { version: 2, project: 'p', assistants: {}, extra: true },
  'bad key and tool': { version: 1, project: 'P!', assistants: { a: { model: 'm', tools: [{ type: 'browser' }] } } },
  'missing model': { version: 1, project: 'p', assistants: { a: { name: 'x' } } },
  'a tests section': { version: 1, project: 'p', assistants: {}, tests: { t: { assistant: 'a', turns: [{ user: 'hi', assert: [{ calls: { name: 'f', argument: {} } }] }] } } },
};

const testFiles: Record<string, unknown> = {
  functions: parse(readFileSync(join(root, 'examples/functions/assistants.test.yaml'), 'utf8')),
  'bad shapes': { version: 1, tests: { T: { assistant: 'a', turns: [{ user: '', tool_outputs: 3, assert: [{ is_json: false }, { cites: 7 }] }] } } },
};

describe.each([
  ['manifest', MANIFEST_SCHEMA, documents],
  ['test file', TESTS_SCHEMA, testFiles],
] as const)('precompiled %s validator', (_kind, schema, cases) => {
  const { precompiled, runtime } = validators(schema);
  it.each(Object.entries(cases))('agrees with the runtime one on %s', (_name, document) => {
    const expected = runtime(document);
    const expectedErrors = runtime.errors;
    expect(precompiled(document)).toBe(expected);
    expect(precompiled.errors).toEqual(expectedErrors);
  });
});
