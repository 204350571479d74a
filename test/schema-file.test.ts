/**
 * The state, journal-entry and plan validators `npm run build` precompiles (dist/, used by
 * the CLI without loading ajv) must judge every document exactly as ones compiled from
 * schemas/ at run time do.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { planJsonValue } from '../src/plan/plan-json.js';
import { newState } from '../src/state/format.js';
import { PRECOMPILED, precompiledPath, schemaAjv } from '../src/schema-file.js';
import { create, destroy, plan, SHA_A } from './render/plan-builder.js';

const load = createRequire(join(import.meta.dirname, '..', 'dist', 'schema-file.js'));

const state = newState({ project: 'shop', environment: 'prod', endpoint: 'http://127.0.0.1:4010/v1', toolVersion: '0.1.0' });
const savedPlan = planJsonValue(plan({ assistants: [create('support'), destroy('old', 'asst_1')] }));
const cases: Record<string, Record<string, unknown>> = {
  'state.schema.json': {
    'a new state': state,
    'an unknown field': { ...state, extra: true },
    'no lineage': { ...state, lineage: undefined },
    'a negative serial': { ...state, serial: -1 },
    'not an object': [state],
  },
  'state.schema.json#/$defs/journalEntry': {
    'a deletion': { op: 'assistant.deleted', key: 'support', id: 'asst_1', at: '2026-01-02T03:04:05.000Z' },
    'an upload started': { op: 'file.upload-started', name: 'faq', sha256: SHA_A, bytes: 3, filename: 'faq.md', at: '2026-01-02T03:04:05.000Z' },
    'an unknown op': { op: 'assistant.renamed', key: 'support', at: '2026-01-02T03:04:05.000Z' },
    'a bad hash': { op: 'file.upload-started', name: 'faq', sha256: 'xyz', bytes: 3, filename: 'faq.md', at: '2026-01-02T03:04:05.000Z' },
  },
  'plan.schema.json': {
    'a plan': savedPlan,
    'a createdAt that is not a date-time': { ...savedPlan, createdAt: 'yesterday' },
    'an unknown action': { ...savedPlan, assistants: [{ ...savedPlan.assistants[0], action: 'rename' }] },
  },
};

describe.each(PRECOMPILED.map(({ fileName, fragment }) => [`${fileName}${fragment}`, fileName, fragment] as const))('the precompiled %s validator', (name, fileName, fragment) => {
  const precompiled = load(precompiledPath(fileName, fragment)) as ValidateFunction;
  const runtime = schemaAjv(fileName).validator(fragment);
  it.each(Object.entries(cases[name] ?? {}))('agrees with the runtime one on %s', (_case, document) => {
    const expected = runtime(document);
    expect(precompiled(document)).toBe(expected);
    expect(precompiled.errors ?? null).toEqual(runtime.errors ?? null);
  });
  it('has cases, valid and invalid', () => {
    const verdicts = Object.values(cases[name] ?? {}).map((document) => runtime(document));
    expect(verdicts).toContain(true);
    expect(verdicts).toContain(false);
  });
});
