/** The plan hash: what apply would do, not when or by which version the plan was made. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planHashOf, withPlanHash } from '../../src/plan/plan-hash.js';
import { readPlanFile, writePlanFile } from '../../src/plan/planfile.js';
import { create, field, plan, update, view } from '../render/plan-builder.js';

describe('planHashOf', () => {
  const base = (): ReturnType<typeof plan> =>
    plan({ assistants: [create('support', view({ instructions: 'Hello' })), update('billing', 'asst_2', [field('model', 'gpt-4', 'gpt-4o')])] });

  it('is sha256 hex, the same for the same actions whenever and by whatever version they were planned', () => {
    const first = base();
    expect(first.planHash).toMatch(/^[0-9a-f]{64}$/);
    const later = plan({ ...first, createdAt: '2030-01-01T00:00:00.000Z', toolVersion: '9.9.9', notes: [{ level: 'info', key: null, message: 'x' }] });
    expect(later.planHash).toBe(first.planHash);
    expect(planHashOf({ ...first, prior: { ...first.prior, serial: 99 } })).toBe(first.planHash);
  });

  it('withPlanHash gives the plan its hash as data: in its keys, its JSON and its copies, computed once when read', () => {
    const { planHash, ...unhashed } = base();
    const hashed = withPlanHash(unhashed);
    expect(Object.keys(hashed).at(-1)).toBe('planHash');
    expect(hashed.planHash).toBe(planHash);
    expect(hashed.planHash).toBe(planHash);
    expect((JSON.parse(JSON.stringify(hashed)) as { planHash: string }).planHash).toBe(planHash);
    expect({ ...hashed }).toEqual({ ...unhashed, planHash });
  });

  it('changes with any action, value, target or endpoint', () => {
    const first = base();
    const others = [
      plan({ ...first, assistants: [create('support', view({ instructions: 'Hello!' })), ...first.assistants.slice(1)] }),
      plan({ ...first, assistants: first.assistants.slice(0, 1) }),
      plan({ ...first, targets: ['support'] }),
      plan({ ...first, endpoint: 'https://api.example.com/v1' }),
      plan({ ...first, environment: 'staging' }),
    ];
    for (const other of others) expect(other.planHash).not.toBe(first.planHash);
  });

  it('is checked when a saved plan is read: an edited plan file is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-hash-'));
    try {
      const path = join(dir, 'plan.json');
      await writePlanFile(path, base());
      expect((await readPlanFile(path)).planHash).toBe(base().planHash);
      await writeFile(path, (await readFile(path, 'utf8')).replace('"Hello"', '"Goodbye"'));
      await expect(readPlanFile(path)).rejects.toThrow(/was changed after it was saved \(its planHash does not match its actions\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
