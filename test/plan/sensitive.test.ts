/**
 * Sensitive parts in a plan: compared by their real values, carried by none of the plan's
 * forms, handed back to apply beside it, and still hidden once their assistant has left
 * the manifest (the state remembers which parts were sensitive).
 */
import { describe, expect, it } from 'vitest';
import { createPlan } from '../../src/plan/planner.js';
import { renderJson, renderMarkdown, renderText } from '../../src/render/index.js';
import { assistantRecord, desiredAssistant, desiredState, liveFromDesired, plan, stateFile, tag, type World } from './world.js';

const SECRET = 'tok-0123456789-secret';

function world(): World {
  const support = desiredAssistant('support', {
    spec: { name: `Support ${SECRET}`, instructions: `Use ${SECRET}.`, metadata: { team: 'cx', token: SECRET } },
    sensitive: ['name', 'instructions', 'metadata.token'],
  });
  const live = liveFromDesired('asst_support', support);
  return {
    desired: desiredState([support]),
    state: stateFile({ support: { ...assistantRecord(live, {}), sensitive: ['name', 'instructions', 'metadata.token'] } }, {}),
    live: { assistants: [live], files: [] },
  };
}

const allForms = (p: ReturnType<typeof plan>): string => renderJson(p) + renderText(p, { color: false }) + renderMarkdown(p);

describe('sensitive parts of a plan', () => {
  it('an unchanged secret plans no change, by its real value', () => {
    const p = plan(world());
    expect(p.assistants[0]).toMatchObject({ action: 'no-op', reason: 'unchanged' });
    expect(allForms(p)).not.toContain(SECRET);
  });

  it('a rotated secret is an update shown as (sensitive), and apply gets the real values beside the plan', () => {
    const w = world();
    const support = w.desired.assistants['support']!;
    support.spec = { ...support.spec, name: 'Support tok-rotated-value', metadata: { team: 'cx', token: 'tok-rotated-value' } };
    const { plan: p, sensitiveValues } = createPlan({ desired: w.desired, state: w.state, live: w.live, mode: 'normal', manifest: 'assistants.yaml', targets: [], endpoint: 'e', toolVersion: 't', now: new Date(0) });
    const change = p.assistants[0]!;
    expect(change.action).toBe('update');
    expect(change.changes.map((c) => [c.field, c.before, c.after])).toEqual([
      ['name', '(sensitive)', '(sensitive)'],
      ['metadata', { 'assistants-iac': tag('support')['assistants-iac'], team: 'cx', token: '(sensitive)' }, { 'assistants-iac': tag('support')['assistants-iac'], team: 'cx', token: '(sensitive)' }],
    ]);
    expect(change.sensitive).toEqual([
      { path: 'name', changed: true },
      { path: 'instructions', changed: false },
      { path: 'metadata.token', changed: true },
    ]);
    expect(sensitiveValues.get('support')).toMatchObject({ name: 'Support tok-rotated-value', instructions: `Use ${SECRET}.` });
    const text = renderText(p, { color: false });
    expect(text).toContain('~ name     = (sensitive)');
    expect(text).toMatch(/~ "token" = \(sensitive\)/);
    expect(text).not.toMatch(/"team"/);
    expect(allForms(p)).not.toMatch(/tok-rotated-value|0123456789-secret/);
  });

  it('stays hidden when its assistant leaves the manifest (the state says it was sensitive)', () => {
    const w = world();
    w.desired = desiredState([]);
    const p = plan(w);
    expect(p.assistants[0]).toMatchObject({ action: 'delete', before: { name: '(sensitive)', instructions: '(sensitive)' } });
    expect(allForms(p)).not.toContain(SECRET);
  });

  it('a note about a namesake does not name a sensitive name', () => {
    const w = world();
    w.state = null;
    w.live.assistants = [{ ...w.live.assistants[0]!, id: 'asst_hand', metadata: {} }];
    const p = plan(w);
    expect(p.notes.map((n) => n.message)).toEqual([
      'an assistant with this name ((sensitive)) (asst_hand) already exists and is not managed; to manage it instead of creating a new one, run: assistants import support asst_hand',
    ]);
    expect(allForms(p)).not.toContain(SECRET);
  });
});
