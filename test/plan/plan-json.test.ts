import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchema } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/types.js';
import { renderJson } from '../../src/plan/plan-json.js';
import { SHA_A, SHA_B, create, destroy, field, file, fn, noop, plan, update, view } from '../render/plan-builder.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8')) as AnySchema;
// Formats are declared, not checked, so the schema needs no plugin; the test checks dates itself.
const ajv = new Ajv2020({ allErrors: true, strict: true, formats: { 'date-time': true } });
const validate = ajv.compile(schema);

/** One fixture per kind of object the renderer tests build. */
const fixtures: Record<string, Plan> = {
  empty: plan(),
  create: plan({ assistants: [create('support', view({ tools: [{ type: 'code_interpreter' }, fn('f', { type: 'object' })], files: ['faq'], metadata: { a: 'b' } }))] }),
  update: plan({
    assistants: [
      update('a', 'asst_1', [field('model', 'gpt-4', 'gpt-4o'), field('metadata', {}, { a: 'b' }, 'drift')], 'drift', ['tools']),
    ],
  }),
  delete: plan({ assistants: [destroy('a', 'asst_1'), destroy('a', 'asst_2', 'orphan')] }),
  noop: plan({ assistants: [noop('a', 'asst_1', { reason: 'adopt' }), noop('b', 'asst_2', { reason: 'gone', after: null })] }),
  files: plan({
    files: [
      file('new'),
      file('replaced', { reason: 'changed-in-manifest', id: 'file-1', previousSha256: SHA_B }),
      file('deleted', { action: 'delete', reason: 'removed-from-manifest', id: 'file-2', path: null }),
    ],
  }),
  refreshOnly: plan({ mode: 'refresh-only', prior: { manifestHash: SHA_A, lineage: null, serial: null, liveFingerprints: { asst_1: SHA_B } } }),
  destroy: plan({ mode: 'destroy', targets: ['a'], assistants: [destroy('a', 'asst_1', 'destroy')], notes: [{ level: 'info', key: null, message: 'm' }] }),
};

describe('plan JSON Schema', () => {
  it.each(Object.entries(fixtures))('accepts the %s fixture as renderJson prints it', (_, p) => {
    const printed = JSON.parse(renderJson(p)) as unknown;
    expect(validate(printed), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('rejects unknown properties, unknown actions and a missing field', () => {
    const good = JSON.parse(renderJson(fixtures.create ?? plan())) as Record<string, unknown>;
    expect(validate({ ...good, extra: 1 })).toBe(false);
    expect(validate({ ...good, assistants: [{ ...create('a'), action: 'replace' }] })).toBe(false);
    expect(validate({ ...good, assistants: [{ ...create('a'), before: { model: 'x' } }] })).toBe(false);
    const { summary: _summary, ...noSummary } = good;
    expect(validate(noSummary)).toBe(false);
    expect(validate({ ...good, formatVersion: 1 })).toBe(false);
    expect(validate({ ...good, formatVersion: 3 })).toBe(false);
  });

  it('lists every Plan property as required, in the order renderJson writes them', () => {
    const printed = JSON.parse(renderJson(fixtures.create ?? plan())) as Record<string, unknown>;
    const s = schema as { required: string[]; properties: Record<string, unknown> };
    expect(Object.keys(printed)).toEqual(s.required);
    expect(Object.keys(s.properties)).toEqual(s.required);
  });
});

describe('renderJson', () => {
  it('is the plan with keys in schema order, maps sorted, 2-space indent and a trailing newline', () => {
    const p = plan({
      assistants: [create('a', view({ metadata: { zeta: '1', alpha: '2' }, tools: [fn('f', { z: 1, a: 2 })] }))],
      prior: { manifestHash: SHA_A, lineage: 'l', serial: 1, liveFingerprints: { b: SHA_B, a: SHA_A } },
    });
    const json = renderJson(p);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json.split('\n')[1]).toBe('  "formatVersion": 2,');
    const parsed = JSON.parse(json) as Plan;
    expect(parsed).toEqual(p);
    expect(Object.keys(parsed.assistants[0]?.after?.metadata ?? {})).toEqual(['alpha', 'zeta']);
    expect(Object.keys(parsed.prior.liveFingerprints)).toEqual(['a', 'b']);
    // A function's parameters keep the user's order.
    expect(json).toMatch(/"z": 1,\n\s+"a": 2/);
  });

  it('is the same whatever order the planner built the objects in', () => {
    const p = plan({ assistants: [update('a', 'asst_1', [field('model', 'x', 'y')])] });
    const shuffled = Object.fromEntries(Object.entries(p).reverse()) as unknown as Plan;
    expect(renderJson(shuffled)).toBe(renderJson(p));
    expect(Date.parse(p.createdAt)).not.toBeNaN();
  });
});
