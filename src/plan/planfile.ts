/**
 * Saved plans (`plan --out FILE`, `apply FILE`): the Plan's JSON form, written atomically
 * with mode 0600, validated against schemas/plan.schema.json when read back, and checked
 * against the state and the live objects it was made from before it is applied.
 */
import { readFile } from 'node:fs/promises';
import type { AssistantObject } from '../api/models.js';
import { UserError } from '../errors.js';
import { overwriteProblem } from '../overwrite-guard.js';
import { renderJson } from './plan-json.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { StateFile } from '../state/types.js';
import { hashValue } from './hash.js';
import { isTaggedAs } from './ownership.js';
import type { DesiredState } from '../manifest/types.js';
import { createPlan, type LiveState } from './planner.js';
import type { SensitiveValues } from './redact.js';
import { planHashOf } from './plan-hash.js';
import { planProblem } from './plan-schema.js';
import { PLAN_FORMAT_VERSION, type Plan } from './types.js';

export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  await writeFileAtomic(path, renderJson(plan));
}

/** How every saved plan begins (renderJson writes formatVersion first), whatever its version. */
const PLAN_FILE_START = /^\{\s*"formatVersion"\s*:\s*\d+\s*,/;

/**
 * Why `path` may not receive a saved plan, or null: it exists and is not one (the
 * manifest, a note, a folder). Only a plan is overwritten. Reads at most 64 bytes.
 */
export function planFileTargetProblem(path: string): Promise<string | null> {
  return overwriteProblem(path, { what: 'a saved plan', recognizes: (head) => PLAN_FILE_START.test(head), headBytes: 64 });
}

export async function readPlanFile(path: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError('USAGE', `${path}: cannot read the saved plan (${code ?? 'error'}); make one with: assistants plan --out ${path}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new UserError('STALE_PLAN', `${path} is not a saved plan (not JSON); make one with: assistants plan --out ${path}`);
  }
  const version = (document as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > PLAN_FORMAT_VERSION) {
    throw new UserError('STALE_PLAN', `${path} was written by a newer version of assistants (plan format ${version}); upgrade to apply it.`);
  }
  if (typeof version === 'number' && version < PLAN_FORMAT_VERSION) {
    throw new UserError('STALE_PLAN', `${path} was written by an older version of assistants (plan format ${version}); make it again with: assistants plan --out ${path}`);
  }
  const problem = planProblem(document);
  if (problem) throw new UserError('STALE_PLAN', `${path} is not a valid saved plan: ${problem}`);
  const plan = document as Plan;
  if (planHashOf(plan) !== plan.planHash) {
    throw new UserError('STALE_PLAN', `${path} was changed after it was saved (its planHash does not match its actions); make it again with: assistants plan --out ${path}`);
  }
  return plan;
}

/**
 * Why a saved plan may no longer be applied, or null when it still holds: the state moved
 * on (lineage or serial), the endpoint differs, an object it read changed or vanished, or
 * an assistant it would create has appeared since.
 */
export function stalePlanReason(plan: Plan, state: StateFile | null, endpoint: string, live: LiveState): string | null {
  if (plan.endpoint !== endpoint) return `it was made against ${plan.endpoint}, not ${endpoint}`;
  const lineage = state?.lineage ?? null;
  const serial = state?.serial ?? null;
  if (lineage !== plan.prior.lineage) {
    return `the state found is not the one it was made from (lineage ${lineage ?? 'none'}, the plan's ${plan.prior.lineage ?? 'none'}); give apply the same -f and --state as plan`;
  }
  if (serial !== plan.prior.serial) return `the state changed since (serial ${plan.prior.serial ?? 'none'} -> ${serial ?? 'none'})`;
  const liveById = new Map<string, unknown>([...live.assistants, ...live.files].map((o) => [o.id, o]));
  for (const [id, fingerprint] of Object.entries(plan.prior.liveFingerprints)) {
    const object = liveById.get(id);
    if (!object) return `${id} was deleted since`;
    if (hashValue(object) !== fingerprint) return `${id} was changed since`;
  }
  for (const change of plan.assistants) {
    if (change.action !== 'create') continue;
    const owner = { project: plan.project, environment: plan.environment, key: change.key };
    // The one a replacement replaces carries the tag too: the plan read it, and deletes it first.
    const appeared = live.assistants.find((a: AssistantObject) => isTaggedAs(a.metadata, owner) && !Object.hasOwn(plan.prior.liveFingerprints, a.id));
    if (appeared) return `${appeared.id} was created for ${change.key} since`;
  }
  return null;
}

/** Whether applying the plan needs values it does not carry: a sensitive part of something it creates or records. */
export function needsSensitiveValues(plan: Plan): boolean {
  return plan.assistants.some((change) => change.sensitive.length > 0 && change.after !== null);
}

/**
 * Why the manifest a saved plan names is no longer the one it was made from, or null: its
 * hash covers the manifest text, the environment, every file it reads and every variable.
 */
export function manifestChangedReason(plan: Plan, desired: DesiredState): string | null {
  return desired.manifestHash === plan.prior.manifestHash
    ? null
    : 'the manifest or a value it reads (a file, a variable, a sensitive value) changed since the plan was made';
}

/**
 * The sensitive values a saved plan left out, taken from the manifest again (whose hash
 * manifestChangedReason has checked): planning again against the same state and live
 * objects (stalePlanReason has checked those) must give the very same plan. Otherwise a
 * reason why not.
 */
export function sensitiveValuesForSavedPlan(
  plan: Plan,
  desired: DesiredState,
  state: StateFile | null,
  live: LiveState,
): { ok: true; sensitiveValues: SensitiveValues } | { ok: false; reason: string } {
  const again = createPlan({
    desired,
    state,
    live,
    mode: plan.mode,
    manifest: plan.manifest,
    targets: plan.targets,
    // What --replace asked for is in the plan: the keys it creates again.
    replace: plan.assistants.filter((a) => a.action === 'create' && a.reason === 'replace').map((a) => a.key),
    endpoint: plan.endpoint,
    toolVersion: plan.toolVersion,
    now: new Date(plan.createdAt),
  });
  if (renderJson(again.plan) !== renderJson(plan)) {
    return { ok: false, reason: 'planning again from the same manifest, state and live objects gives a different plan' };
  }
  return { ok: true, sensitiveValues: again.sensitiveValues };
}
