/**
 * A plan's hash: what a reviewer approved, in 64 hex digits. `apply --plan-hash H` plans
 * again and runs only when the new plan hashes to H.
 *
 * It is sha256 of the canonical JSON of what apply would do and to what: the mode, the
 * project, environment and endpoint, the targets, and every file and assistant change
 * with its values. Left out: when and by which version the plan was made, its notes and
 * summary (read from the changes), and `prior` (what it was read from, which a fresh plan
 * checks for itself). Sensitive values are never in a plan, so never in its hash: a
 * change of one shows as its part's `changed` flag.
 */
import { hashValue } from './hash.js';
import type { Plan } from './types.js';

export type UnhashedPlan = Omit<Plan, 'planHash'>;

export function planHashOf(plan: UnhashedPlan): string {
  return hashValue({
    mode: plan.mode,
    project: plan.project,
    environment: plan.environment,
    endpoint: plan.endpoint,
    targets: plan.targets,
    files: plan.files,
    assistants: plan.assistants,
  });
}

/**
 * The plan with its hash, computed when first read: a plan shown as text, or applied
 * without --plan-hash, never reads it, and the canonical JSON of a thousand assistants'
 * changes costs ~40 ms. To JSON.stringify, spreads and comparisons it is an enumerable
 * property like any other (plans are not changed once made).
 */
export function withPlanHash(plan: UnhashedPlan): Plan {
  let hash: string | undefined;
  return Object.defineProperty({ ...plan }, 'planHash', { enumerable: true, get: () => (hash ??= planHashOf(plan)) }) as Plan;
}
