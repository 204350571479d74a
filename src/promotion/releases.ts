/**
 * Release records: after a successful apply, what each assistant of the manifest was
 * released with in this environment (its promotable content), from which commit, when
 * and by whom. A record changes only when the content released changes, so it tells
 * when that content first reached the environment.
 */
import { dictionary, ownEntry } from '../dictionary.js';
import type { DesiredState } from '../manifest/types.js';
import type { ReleaseRecord, StateFile } from '../state/types.js';

/** Where a release came from: the CI's commit and actor, when it says so. */
export interface ReleaseOrigin {
  commit: string | null;
  appliedBy: string;
  appliedAt: string;
  toolVersion: string;
}

const COMMIT = /^[0-9a-f]{7,64}$/i;
const ACTOR = /^[\w.@+-]{1,100}$/;

/**
 * The commit (GITHUB_SHA, else CI_COMMIT_SHA) and who applied (GITHUB_ACTOR, else
 * GITLAB_USER_LOGIN, else `user@host` given): only values of the shape those CIs set.
 */
export function releaseOrigin(env: Readonly<Record<string, string | undefined>>, localUser: string, now: Date, toolVersion: string): ReleaseOrigin {
  const commit = [env['GITHUB_SHA'], env['CI_COMMIT_SHA']].find((value) => value !== undefined && COMMIT.test(value)) ?? null;
  const actor = [env['GITHUB_ACTOR'], env['GITLAB_USER_LOGIN']].find((value) => value !== undefined && ACTOR.test(value));
  return { commit: commit?.toLowerCase() ?? null, appliedBy: actor ?? localUser, appliedAt: now.toISOString(), toolVersion };
}

function sameContent(a: ReleaseRecord, b: ReleaseRecord): boolean {
  return a.id === b.id && a.promotable === b.promotable && JSON.stringify(Object.entries(a.files).sort()) === JSON.stringify(Object.entries(b.files).sort());
}

/**
 * The state with a release record for each assistant of `desired` in `keys` (all when
 * empty) that the state maps to an assistant, and none for a key it no longer maps;
 * null when that changes nothing.
 */
export function withReleases(state: StateFile, desired: DesiredState, keys: readonly string[], origin: ReleaseOrigin): StateFile | null {
  const before = state.releases ?? dictionary<ReleaseRecord>();
  const releases = dictionary<ReleaseRecord>();
  let changed = false;
  for (const [key, record] of Object.entries(before)) {
    if (Object.hasOwn(state.assistants, key)) releases[key] = record;
    else changed = true;
  }
  for (const [key, assistant] of Object.entries(desired.assistants)) {
    const applied = ownEntry(state.assistants, key);
    if (applied === undefined || (keys.length > 0 && !keys.includes(key))) continue;
    const { promotable } = assistant;
    const record: ReleaseRecord = {
      id: applied.id,
      promotable: promotable.hash,
      fields: dictionary(Object.entries(promotable.fields)),
      files: dictionary(Object.entries(promotable.files)),
      environmentSpecific: [...promotable.environmentSpecific],
      manifestHash: desired.manifestHash,
      ...origin,
    };
    const previous = ownEntry(releases, key);
    if (previous !== undefined && sameContent(previous, record)) continue;
    releases[key] = record;
    changed = true;
  }
  if (!changed) return null;
  const next: StateFile = { ...state, releases };
  if (Object.keys(releases).length === 0) delete next.releases;
  return next;
}
