/** The gate's verdicts, from plain data: what passes, what waits and why. */
import { describe, expect, it } from 'vitest';
import { promotableContent } from '../../src/manifest/promotable.js';
import type { DesiredState } from '../../src/manifest/types.js';
import type { Plan } from '../../src/plan/types.js';
import { promotionVerdicts, verdictLines } from '../../src/promotion/gate.js';
import { releaseOrigin, withReleases } from '../../src/promotion/releases.js';
import type { StateFile, TestRecord } from '../../src/state/types.js';
import { desiredAssistant, desiredState, stateFile } from '../plan/world.js';

const ORIGIN = releaseOrigin({ GITHUB_SHA: 'ABCDEF0123456789', GITHUB_ACTOR: 'octo' }, 'me@host', new Date('2026-12-01T10:00:00Z'), '0.1.0');

function withAssistants(state: StateFile, keys: string[]): StateFile {
  const assistants = { ...state.assistants };
  for (const key of keys) assistants[key] = { id: `asst_${key}`, applied: {} as StateFile['assistants'][string]['applied'], updatedAt: '2026-12-01T10:00:00Z' };
  return { ...state, assistants };
}

function released(desired: DesiredState, environment: string): StateFile {
  const state = withAssistants({ ...stateFile({}, {}), environment }, Object.keys(desired.assistants));
  return withReleases(state, desired, [], ORIGIN)!;
}

const plan = (changes: Array<[string, 'create' | 'update' | 'delete' | 'no-op']>): Plan => ({ assistants: changes.map(([key, action]) => ({ key, action })) }) as unknown as Plan;

describe('releases', () => {
  it('records the CI commit and actor, only values of their shape, and writes nothing when the content is the same', () => {
    expect(ORIGIN).toMatchObject({ commit: 'abcdef0123456789', appliedBy: 'octo' });
    expect(releaseOrigin({ GITHUB_SHA: 'not a sha; rm -rf', CI_COMMIT_SHA: '0123abc', GITHUB_ACTOR: 'x y' }, 'me@host', new Date(), '0.1.0')).toMatchObject({ commit: '0123abc', appliedBy: 'me@host' });
    const desired = desiredState([desiredAssistant('a'), desiredAssistant('b')]);
    const state = released(desired, 'staging');
    expect(Object.keys(state.releases!)).toEqual(['a', 'b']);
    expect(withReleases(state, desired, [], { ...ORIGIN, commit: 'fffffff' })).toBeNull();
    const dropped = withReleases({ ...state, assistants: { a: state.assistants['a']! } }, desired, [], ORIGIN);
    expect(Object.keys(dropped!.releases!)).toEqual(['a']);
  });
});

describe('the gate', () => {
  const shared = desiredState([desiredAssistant('a'), desiredAssistant('b')]);
  const staging = released(shared, 'staging');
  const edited = desiredState([desiredAssistant('a', { spec: { instructions: 'New.' } }), desiredAssistant('b', { spec: { model: 'gpt-4o' } })]);
  // b's model is environment-specific in this manifest.
  edited.assistants['b']!.promotable = promotableContent(edited.assistants['b']!.spec, [], {}, new Set(['model']), new Set());
  shared.assistants['b']!.promotable = promotableContent(shared.assistants['b']!.spec, [], {}, new Set(['model']), new Set());
  const prod = released(shared, 'prod');

  it('passes content the source runs, names the fields of content it does not, and tells environment-specific changes apart', () => {
    const verdicts = promotionVerdicts({ plan: plan([['a', 'update'], ['b', 'update']]), desired: edited, target: prod, source: staging, requireTests: false });
    expect(verdicts.map((v) => [v.key, v.kind])).toEqual([['a', 'waiting'], ['b', 'environment-specific']]);
    const stagingNow = withReleases(staging, edited, ['a'], ORIGIN)!;
    const again = promotionVerdicts({ plan: plan([['a', 'update'], ['b', 'update'], ['c', 'delete']]), desired: edited, target: prod, source: stagingNow, requireTests: false });
    expect(again.map((v) => [v.key, v.kind])).toEqual([['a', 'promoted'], ['b', 'environment-specific']]);
    expect(verdictLines(again, 'staging')).toEqual([
      `  a: promoted from staging (content ${edited.assistants['a']!.promotable.hash.slice(0, 12)}, released commit abcdef012345, 2026-12-01T10:00:00.000Z)`,
      '  b: environment-specific change only (model)',
    ]);
    expect(verdictLines(verdicts, 'staging')[0]).toBe('  a: waiting in staging: its instructions differ from what staging runs (released commit abcdef012345, 2026-12-01T10:00:00.000Z): apply it to staging first');
    const none = promotionVerdicts({ plan: plan([['a', 'create']]), desired: edited, target: null, source: { ...staging, releases: {} }, requireTests: false });
    expect(verdictLines(none, 'staging')).toEqual(['  a: waiting in staging: not applied in staging yet: apply it there first']);
  });

  it('with tests required, passes only content whose tests passed there', () => {
    const test = (outcome: 'passed' | 'failed', promotable: string): TestRecord => ({
      id: 'asst_a', fields: {} as TestRecord['fields'], contentHash: 'x', asApplied: true, promotable, outcome, tests: { replies: outcome }, manifestHash: 'm', testedAt: '2026-12-01T11:00:00Z', toolVersion: '0.1.0',
    });
    const hash = shared.assistants['a']!.promotable.hash;
    const run = (testResults: StateFile['testResults']) =>
      verdictLines(promotionVerdicts({ plan: plan([['a', 'update']]), desired: shared, target: null, source: { ...staging, ...(testResults ? { testResults } : {}) }, requireTests: true }), 'staging');
    expect(run(undefined)).toEqual(['  a: waiting in staging: no tests recorded in staging on this content: run "assistants test --env staging"']);
    expect(run({ a: test('passed', 'other') })[0]).toContain('no tests recorded');
    expect(run({ a: test('failed', hash) })).toEqual(['  a: waiting in staging: its tests failed in staging (replies, 2026-12-01T11:00:00Z)']);
    expect(run({ a: test('passed', hash) })[0]).toMatch(/^ {2}a: promoted from staging \(.*, tests passed 2026-12-01T11:00:00Z\)$/);
  });
});
