import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_METADATA_KEY } from '../../src/plan/ownership.js';
import { BAD_MANIFESTS } from './corpus.js';

interface SchemaDefs {
  $defs: { identifier: { pattern: string }; metadata: { propertyNames: { not: { const: string } } } };
}
const schema = JSON.parse(readFileSync(new URL('../../schemas/manifest.schema.json', import.meta.url), 'utf8')) as SchemaDefs;

/** The schema as an editor or another tool would use it: compiled alone, unknown keywords ignored. */
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

const EXAMPLES = ['quickstart', 'environments', 'functions'];

describe('manifest.schema.json, compiled alone', () => {
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
