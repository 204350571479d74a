/** Internal to the renderers: an object's headline suffix and reason, by the change's reason and the plan's mode. */
import type { ActionReason, AssistantChange, Plan, PlanMode } from '../plan/types.js';
import type { ActionLabel, ObjectBlock } from './lines.js';

export function suffixFor(reason: ActionReason, mode: PlanMode): string | null {
  if (mode === 'destroy') return null;
  switch (reason) {
    case 'changed-in-manifest':
      return 'changed in manifest';
    case 'drift':
      return 'changed outside assistants: drift';
    case 'removed-from-manifest':
      return 'removed from manifest';
    case 'orphan':
      return 'orphan: tagged as ours, not in the manifest';
    case 'adopt':
      return 'adopted: tagged as ours, missing from the state';
    case 'gone':
      return 'deleted outside assistants';
    case 'replace':
      return 'replace requested with --replace';
    case 'new':
    case 'unchanged':
    case 'destroy':
      return null;
  }
}

/**
 * The plan's assistants that have an id, by key, in plan order: built once per plan, so
 * naming the owner of each of many orphans costs O(n), not a scan of the plan per orphan.
 */
export function assistantsWithIdByKey(plan: Plan): Map<string, AssistantChange[]> {
  const byKey = new Map<string, AssistantChange[]>();
  for (const change of plan.assistants) {
    if (change.id === null) continue;
    const same = byKey.get(change.key);
    if (same === undefined) byKey.set(change.key, [change]);
    else same.push(change);
  }
  return byKey;
}

/** An orphan names the object its key belongs to when the plan holds one (`withId`: assistantsWithIdByKey). */
export function orphanSuffix(change: AssistantChange, withId: ReadonlyMap<string, readonly AssistantChange[]>): string {
  const owner = withId.get(change.key)?.find((a) => a !== change && a.id !== change.id);
  if (owner !== undefined && owner.id !== null) return `orphan: duplicate of ${owner.id}`;
  return 'orphan: tagged as ours, not in the manifest';
}

export function reasonText(reason: ActionReason, mode: PlanMode): string {
  if (mode === 'destroy' && reason !== 'orphan') return 'destroy requested';
  switch (reason) {
    case 'new':
      return 'new in manifest';
    case 'changed-in-manifest':
      return 'changed in manifest';
    case 'drift':
      return 'changed outside assistants (drift)';
    case 'removed-from-manifest':
      return 'removed from manifest';
    case 'orphan':
      return 'orphan';
    case 'adopt':
      return 'adopted (tagged as ours, missing from the state)';
    case 'unchanged':
      return 'unchanged';
    case 'gone':
      return 'deleted outside assistants';
    case 'destroy':
      return 'destroy requested';
    case 'replace':
      return 'replace requested';
  }
}

/** The headline of a no-op that still changes the state, or null when it changes nothing. */
export function stateOnlyHeadline(kind: ObjectBlock['kind'], subject: string, id: string | null, reason: ActionReason): string | null {
  if (!changesState(reason)) return null;
  const ref = id === null ? subject : `${subject} (${id})`;
  if (reason === 'adopt' && kind === 'file') {
    return `${ref} is an upload of it attached to our assistants and will be recorded in the state instead of uploaded again`;
  }
  if (reason === 'adopt') return `${ref} is tagged as ours and will be recorded in the state; it needs no change`;
  if (reason === 'gone') return `${ref} was deleted outside assistants; its state record will be dropped`;
  return null;
}

/** A no-op of this reason still changes the state (stateOnlyHeadline has a headline for it). */
export function changesState(reason: ActionReason): boolean {
  return reason === 'adopt' || reason === 'gone';
}

export function stateOnlyAction(reason: ActionReason): ActionLabel {
  return reason === 'adopt' ? 'adopt' : 'forget';
}

export function withSuffix(text: string, suffix: string | null): string {
  return suffix === null ? text : `${text} (${suffix})`;
}
