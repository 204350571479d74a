/**
 * The validator `npm run build` precompiles (dist/, used by the CLI) must judge every
 * manifest exactly as one compiled from schemas/manifest.schema.json at run time does.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createManifestAjv, MANIFEST_SCHEMA_URL, PRECOMPILED_VALIDATOR } from '../../src/manifest/schema-check.js';

const root = join(import.meta.dirname, '..', '..');
const precompiled = createRequire(join(root, 'dist', 'manifest', 'schema-check.js'))(PRECOMPILED_VALIDATOR) as ValidateFunction;
const runtime = createManifestAjv().compile(JSON.parse(readFileSync(MANIFEST_SCHEMA_URL, 'utf8')) as object);

const documents: Record<string, unknown> = {
  quickstart: parse(readFileSync(join(root, 'examples/quickstart/assistants.yaml'), 'utf8')),
  functions: parse(readFileSync(join(root, 'examples/functions/assistants.yaml'), 'utf8')),
  environments: parse(readFileSync(join(root, 'examples/environments/assistants.yaml'), 'utf8')),
  'wrong version and unknown field': { version: 2, project: 'p', assistants: {}, extra: true },
  'bad key and tool': { version: 1, project: 'P!', assistants: { a: { model: 'm', tools: [{ type: 'browser' }] } } },
  'missing model': { version: 1, project: 'p', assistants: { a: { name: 'x' } } },
};

describe('precompiled manifest validator', () => {
  it.each(Object.entries(documents))('agrees with the runtime one on %s', (_name, document) => {
    const expected = runtime(document);
    const expectedErrors = runtime.errors;
    expect(precompiled(document)).toBe(expected);
    expect(precompiled.errors).toEqual(expectedErrors);
  });
});
