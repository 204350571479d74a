import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_METADATA_KEY } from '../../src/plan/ownership.js';
import { BAD_MANIFESTS } from './corpus.js';

interface SchemaDefs {
  $defs: { identifier: { pattern: string }; metadata: { propertyNames: { not: { const: string } } } };
}
const schema = JSON.parse(readFileSync(new URL('../../schemas/manifest.schema.json', import.meta.url), 'utf8')) as SchemaDefs;

const testsSchema = JSON.parse(readFileSync(new URL('../../schemas/tests.schema.json', import.meta.url), 'utf8')) as object;

/**
 * The schemas as an editor or another tool would use them: compiled with nothing but each
 * other (the manifest's tests: section refers to tests.schema.json beside it), unknown
 * keywords ignored.
 */
const ajv = new Ajv2020({ allErrors: true, strict: false }).addSchema(testsSchema);
const validate = ajv.compile(schema);
const validateTests = ajv.getSchema('https://assistants-iac.dev/schemas/tests.schema.json')!;

const EXAMPLES = ['quickstart', 'environments', 'functions'];

describe('manifest.schema.json and tests.schema.json, compiled on their own', () => {
  it.each(BAD_MANIFESTS.filter((c) => c.kind === 'shape').map((c) => [c.name, c] as const))('rejects %s', (_name, c) => {
    expect(validate(parse(String(c.manifest)))).toBe(false);
  });

  it.each(BAD_MANIFESTS.filter((c) => c.kind === 'semantic').map((c) => [c.name, c] as const))(
    'lets %s through to the semantic checks',
    (_name, c) => {
      expect(validate(parse(String(c.manifest))), JSON.stringify(validate.errors)).toBe(true);
    },
  );

  it.each(EXAMPLES)('accepts examples/%s', (example) => {
    const text = readFileSync(new URL(`../../examples/${example}/assistants.yaml`, import.meta.url), 'utf8');
    expect(text.startsWith('# yaml-language-server: $schema=../../schemas/manifest.schema.json\n')).toBe(true);
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(EXAMPLES.flatMap((example) =>
    readdirSync(new URL(`../../examples/${example}/`, import.meta.url)).filter((name) => name.endsWith('.test.yaml')).map((name) => `${example}/${name}`),
  ))('accepts the tests in examples/%s', (path) => {
    const text = readFileSync(new URL(`../../examples/${path}`, import.meta.url), 'utf8');
    expect(text.startsWith('# yaml-language-server: $schema=../../schemas/tests.schema.json\n')).toBe(true);
    expect(validateTests(parse(text)), JSON.stringify(validateTests.errors)).toBe(true);
  });

  it('reserves the ownership metadata key the planner uses', () => {
    expect(schema.$defs.metadata.propertyNames.not.const).toBe(OWNERSHIP_METADATA_KEY);
  });

  it('keeps project/environment/key within a metadata value (512 characters)', () => {
    const identifier = new RegExp(schema.$defs.identifier.pattern);
    expect(identifier.test('a'.repeat(63))).toBe(true);
    expect(identifier.test('a'.repeat(64))).toBe(false);
    expect(63 * 3 + 2).toBeLessThanOrEqual(512);
  });
});
