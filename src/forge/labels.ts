/**
 * One label on the pull request saying what the plan would do, as tfcmt sets them:
 * `PROJECT/ENVIRONMENT: no changes`, `... add or update` or `... destroy`, so a reviewer
 * sees a destroy before opening anything. The other two are taken off.
 */
import { planHasChanges } from '../plan/planner.js';
import type { Plan } from '../plan/types.js';
import { ForgeError } from './errors.js';
import type { Forge } from './forge.js';

export type PlanOutcome = 'no changes' | 'add or update' | 'destroy';

const COLORS: Record<PlanOutcome, string> = { 'no changes': '0e8a16', 'add or update': '1d76db', destroy: 'd93f0b' };
/** GitHub's longest label name. */
const MAX_LABEL_LENGTH = 50;

export function planOutcome(plan: Plan): PlanOutcome {
  if (plan.summary.destroy > 0) return 'destroy';
  return planHasChanges(plan) ? 'add or update' : 'no changes';
}

export function outcomeLabel(project: string, environment: string, outcome: PlanOutcome): string {
  return `${project}/${environment}: ${outcome}`;
}

/** Sets the plan's label and takes the other outcomes' off; returns the label. */
export async function setOutcomeLabel(forge: Forge, plan: Plan): Promise<string> {
  const outcome = planOutcome(plan);
  const wanted = outcomeLabel(plan.project, plan.environment, outcome);
  if (wanted.length > MAX_LABEL_LENGTH) {
    throw new ForgeError('not-configured', `the label "${wanted}" is longer than ${MAX_LABEL_LENGTH} characters; shorten the project or environment name, or leave out --label`);
  }
  const ours = new Set((Object.keys(COLORS) as PlanOutcome[]).map((o) => outcomeLabel(plan.project, plan.environment, o)));
  const current = await forge.listLabels();
  const remove = current.filter((name) => ours.has(name) && name !== wanted);
  if (current.includes(wanted) && remove.length === 0) return wanted;
  await forge.changeLabels(wanted, COLORS[outcome], remove);
  return wanted;
}
