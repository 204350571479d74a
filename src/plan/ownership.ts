/**
 * Ownership, in one place: every assistant this tool creates or adopts carries one
 * metadata entry naming the project, environment and manifest key it belongs to (like
 * kubectl's ApplySet label). Planning never changes or deletes an assistant without it or
 * a state record. Plain data in, plain data out: the planner, the applier, `import`,
 * `state rm`, `state rebuild`, `export` and `test` all read, add and strip the tag here.
 * (Files carry no tag: "this upload is ours" is the rule of uploads.ts.)
 */
import type { AssistantObject, Metadata } from '../api/models.js';
import { METADATA_LIMIT } from '../assistant-fields.js';
import { ownEntry } from '../dictionary.js';
import { localeCompare } from '../natural-sort.js';

export const OWNERSHIP_METADATA_KEY = 'assistants-iac';


export interface Owner {
  project: string;
  environment: string;
  key: string;
}

/** A project and environment: whose assistants are whose. */
export type OwnerScope = Pick<Owner, 'project' | 'environment'>;

/** `project/environment/key`; the parts are validated by the manifest to hold no `/`. */
export function formatOwner(owner: Owner): string {
  return `${owner.project}/${owner.environment}/${owner.key}`;
}

/** The owner named by an assistant's metadata, or null when it carries no valid tag. */
export function parseOwner(metadata: Readonly<Record<string, string>> | null | undefined): Owner | null {
  const value = ownEntry(metadata, OWNERSHIP_METADATA_KEY);
  if (typeof value !== 'string') return null;
  const parts = value.split('/');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) return null;
  const [project, environment, key] = parts as [string, string, string];
  return { project, environment, key };
}

/** Whether the metadata carries exactly `owner`'s tag. */
export function isTaggedAs(metadata: Readonly<Record<string, string>> | null | undefined, owner: Owner): boolean {
  return ownEntry(metadata, OWNERSHIP_METADATA_KEY) === formatOwner(owner);
}

/** Whether the metadata's tag names this project and environment (any key). */
export function isTaggedFor(metadata: Readonly<Record<string, string>> | null | undefined, scope: OwnerScope): boolean {
  const owner = parseOwner(metadata);
  return owner !== null && owner.project === scope.project && owner.environment === scope.environment;
}

/**
 * The owner an assistant's tag names when it is not `owner` (another project, environment
 * or key), else null (tagged as `owner`, or not tagged at all). Such an assistant is never
 * taken over: not by import, not through a state record.
 */
export function otherOwner(metadata: Readonly<Record<string, string>> | null | undefined, owner: Owner): Owner | null {
  if (isTaggedAs(metadata, owner)) return null;
  const tagged = parseOwner(metadata);
  return tagged !== null && formatOwner(tagged) !== formatOwner(owner) ? tagged : null;
}

/** The metadata with `owner`'s tag added (or replacing another tag). */
export function withTag(metadata: Readonly<Record<string, string>> | null | undefined, owner: Owner): Metadata {
  return { ...(metadata ?? {}), [OWNERSHIP_METADATA_KEY]: formatOwner(owner) };
}

/** The metadata without the tag: what the user set. */
export function withoutTag(metadata: Readonly<Record<string, string>> | null | undefined): Metadata {
  const { [OWNERSHIP_METADATA_KEY]: _tag, ...rest } = metadata ?? {};
  return rest;
}

/** Whether the tag fits beside the user's metadata (the API's 16 entries at most). */
export function tagFits(metadata: Readonly<Record<string, string>> | null | undefined): boolean {
  return Object.keys(withoutTag(metadata)).length < METADATA_LIMIT;
}

export type AdoptionRefusal = { reason: 'other-owner'; owner: Owner } | { reason: 'metadata-full'; entries: number };

/**
 * Why an existing assistant cannot be adopted (by `import`, or by an `export` that
 * `import` is to follow), or null: another owner's tag (another project or environment,
 * or another key when `owner` names one), or no room for ours.
 */
export function adoptionRefusal(metadata: Readonly<Record<string, string>> | null | undefined, owner: OwnerScope & { key?: string }): AdoptionRefusal | null {
  const tagged = parseOwner(metadata);
  if (tagged !== null && (tagged.project !== owner.project || tagged.environment !== owner.environment || (owner.key !== undefined && tagged.key !== owner.key))) {
    return { reason: 'other-owner', owner: tagged };
  }
  if (!tagFits(metadata)) return { reason: 'metadata-full', entries: Object.keys(withoutTag(metadata)).length };
  return null;
}

/**
 * The live assistants tagged for this project and environment, by key (in the order the
 * listing first shows each), each list oldest first. Only a key's own list is sorted: almost
 * every key has one assistant, so a plan of thousands compares almost no ids.
 */
export function taggedByKey(assistants: readonly AssistantObject[], scope: OwnerScope): Map<string, AssistantObject[]> {
  const byKey = new Map<string, AssistantObject[]>();
  for (const assistant of assistants) {
    const owner = parseOwner(assistant.metadata);
    if (owner === null || owner.project !== scope.project || owner.environment !== scope.environment) continue;
    const list = byKey.get(owner.key);
    if (list === undefined) byKey.set(owner.key, [assistant]);
    else list.push(assistant);
  }
  for (const [key, list] of byKey) if (list.length > 1) byKey.set(key, oldestFirst(list));
  return byKey;
}

/** Oldest first: by creation time, then by id (creation times tie within a second). */
export function oldestFirst<T extends { createdAt: number; id: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.createdAt - b.createdAt || localeCompare(a.id, b.id));
}
