/**
 * The promotion gate: of each assistant a plan would create or change, whether that is
 * content the source environment already runs (and, when asked, passed its tests on).
 * Pure: the plan, the desired state and both environments' states in, verdicts out.
 *
 * - environment-specific: the target already runs this promotable content, so the change
 *   is in parts that differ per environment (or puts back what was changed by hand).
 * - promoted: the source's release of it has exactly this content (and passing tests).
 * - waiting: neither; the reason says what is missing in the source.
 */
import { ownEntry } from '../dictionary.js';
import { PROMOTABLE_FIELDS, type PromotableContent } from '../manifest/promotable.js';
import type { DesiredState } from '../manifest/types.js';
import type { Plan } from '../plan/types.js';
import type { ReleaseRecord, StateFile } from '../state/types.js';

export type Verdict =
  | { key: string; kind: 'environment-specific'; parts: string[] }
  | { key: string; kind: 'promoted'; release: ReleaseRecord; tested: string | null }
  | { key: string; kind: 'waiting'; reason: string };

export interface GateInput {
  plan: Plan;
  desired: DesiredState;
  /** The target environment's state (null: nothing applied there yet). */
  target: StateFile | null;
  source: StateFile;
  requireTests: boolean;
}

/** The fields whose promotable part differs, and the files whose content does. */
function differences(content: PromotableContent, release: ReleaseRecord): string[] {
  const fields = PROMOTABLE_FIELDS.filter((field) => content.fields[field] !== ownEntry(release.fields, field));
  const files = Object.keys(content.files)
    .filter((name) => content.files[name] !== ownEntry(release.files, name))
    .map((name) => `file ${name}`);
  return [...fields.filter((field) => field !== 'files' || files.length === 0), ...files];
}

function when(release: ReleaseRecord): string {
  return `${release.commit === null ? '' : `commit ${release.commit.slice(0, 12)}, `}${release.appliedAt}`;
}

function verdictFor(key: string, content: PromotableContent, input: GateInput): Verdict {
  const from = input.source.environment;
  if (ownEntry(input.target?.releases, key)?.promotable === content.hash) return { key, kind: 'environment-specific', parts: content.environmentSpecific };
  const release = ownEntry(input.source.releases, key);
  if (release === undefined) return { key, kind: 'waiting', reason: `not applied in ${from} yet: apply it there first` };
  if (release.promotable !== content.hash) {
    return { key, kind: 'waiting', reason: `its ${differences(content, release).join(', ')} differ from what ${from} runs (released ${when(release)}): apply it to ${from} first` };
  }
  const tests = ownEntry(input.source.testResults, key);
  const tested = tests?.promotable === release.promotable ? tests : undefined;
  if (input.requireTests) {
    if (tested === undefined) return { key, kind: 'waiting', reason: `no tests recorded in ${from} on this content: run "assistants test --env ${from}"` };
    if (tested.outcome !== 'passed') {
      const failed = Object.keys(tested.tests).filter((name) => tested.tests[name] !== 'passed');
      return { key, kind: 'waiting', reason: `its tests failed in ${from} (${failed.join(', ')}, ${tested.testedAt})` };
    }
  }
  return { key, kind: 'promoted', release, tested: tested === undefined ? null : `${tested.outcome} ${tested.testedAt}` };
}

/** A verdict for each assistant the plan creates or updates, in the plan's order. */
export function promotionVerdicts(input: GateInput): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const change of input.plan.assistants) {
    if (change.action !== 'create' && change.action !== 'update') continue;
    const assistant = ownEntry(input.desired.assistants, change.key);
    if (assistant === undefined) continue;
    verdicts.push(verdictFor(change.key, assistant.promotable, input));
  }
  return verdicts;
}

/** Why the source state cannot be promoted from, or null: it must be this project's, at the source environment's endpoint. */
export function sourceProblem(source: StateFile, desired: Pick<DesiredState, 'project'>, endpoint: string): string | null {
  if (source.project !== desired.project) return `its state belongs to project "${source.project}", not "${desired.project}"`;
  if (source.endpoint !== endpoint) return `its state is at endpoint ${source.endpoint}, not ${endpoint} where ${source.environment} is`;
  return null;
}

/** One line per verdict, for stderr: what passes the gate and why, what waits and why. */
export function verdictLines(verdicts: readonly Verdict[], source: string): string[] {
  return verdicts.map((verdict) => {
    switch (verdict.kind) {
      case 'environment-specific':
        return `  ${verdict.key}: environment-specific change only${verdict.parts.length > 0 ? ` (${verdict.parts.join(', ')})` : ''}`;
      case 'promoted':
        return `  ${verdict.key}: promoted from ${source} (content ${verdict.release.promotable.slice(0, 12)}, released ${when(verdict.release)}${verdict.tested === null ? '' : `, tests ${verdict.tested}`})`;
      case 'waiting':
        return `  ${verdict.key}: waiting in ${source}: ${verdict.reason}`;
    }
  });
}
