/**
 * Making a plan the way plan, apply and destroy all do: read the live state, check the
 * targets, run the pure planner.
 */
import { relative, sep } from 'node:path';
import { UserError } from '../errors.js';
import type { CheckedManifest } from '../manifest/index.js';
import type { DesiredState } from '../manifest/types.js';
import { createPlan, desiredViewOf, type LiveState, type PlanResult } from '../plan/planner.js';
import { readLive, readLiveFor, WhileWaiting } from '../plan/refresh.js';
import type { AssistantView, Plan, PlanMode } from '../plan/types.js';
import { renderJson, renderText } from '../render/index.js';
import type { StateFile } from '../state/types.js';
import { TOOL_VERSION } from '../version.js';
import type { CliIo } from './io.js';
import type { ApiSession } from './session.js';

/**
 * What a plan is made from: the manifest's assistant keys, which --target and --replace are
 * checked against before any request, and its desired state, made (its attached files hashed,
 * CheckedManifest) once the listing's first answer is in, while the rest are awaited.
 */
export type PlanSource = Pick<CheckedManifest, 'assistantKeys' | 'desired'>;

/** A desired state already made, as a PlanSource. */
export function planSourceOf(desired: DesiredState): PlanSource {
  return { assistantKeys: Object.keys(desired.assistants), desired: () => Promise.resolve(desired) };
}

export async function makePlan(
  source: PlanSource,
  state: StateFile | null,
  session: ApiSession,
  mode: PlanMode,
  targets: readonly string[],
  io: CliIo,
  replace: readonly string[] = [],
): Promise<PlanResult> {
  if (replace.length > 0 && mode !== 'normal') throw new UserError('USAGE', `--replace goes with a normal plan: a ${mode} plan replaces nothing.`);
  const keys = new Set(source.assistantKeys);
  const known = (): string => [...keys].sort().join(', ') || 'none';
  for (const key of replace) {
    if (!keys.has(key)) {
      throw new UserError('USAGE', `--replace ${key}: no assistant with that key in the manifest, so there is nothing to create again (keys: ${known()}).`);
    }
    if (targets.length > 0 && !targets.includes(key)) throw new UserError('USAGE', `--replace ${key}: it is outside --target ${targets.join(', ')}; add --target ${key}.`);
  }
  for (const target of targets) {
    if (!keys.has(target) && !(state && Object.hasOwn(state.assistants, target))) {
      throw new UserError('USAGE', `--target ${target}: no assistant with that key in the manifest or the state (keys: ${known()}).`);
    }
  }
  if (io.interactive) {
    // On a terminal, what it waits for while the server is read (Terraform's "Refreshing state...").
    const count = new Set([...keys, ...Object.keys(state?.assistants ?? {})]).size;
    io.stderr.write(`Reading ${count} assistant${count === 1 ? '' : 's'} from ${session.endpoint}...\n`);
  }
  const waiting = new WhileWaiting();
  const desiredViews = new Map<string, AssistantView>();
  const live = await listedAhead(session, (hints) =>
    readLiveFor(
      async () => {
        const desired = await source.desired();
        // The manifest's views too are made while the listing is awaited.
        waiting.add(Object.keys(desired.assistants), (key) => desiredViews.set(key, desiredViewOf(desired, key)));
        return desired;
      },
      state,
      session.assistants,
      session.files,
      waiting,
      hints,
    ),
  );
  const desired = await source.desired();
  const manifest = relative(io.cwd, desired.manifestPath).split(sep).join('/');
  return createPlan({ desired, state, live, mode, manifest, targets, replace, endpoint: session.endpoint, toolVersion: TOOL_VERSION, now: new Date(), desiredViews });
}

/**
 * A complete listing of the session's endpoint by `read`, given the cursors the last one left
 * (list-cursors.ts) to read its pages ahead from, and leaving this one's for the next run.
 */
export async function listedAhead<T extends LiveState>(session: ApiSession, read: (hints: readonly string[]) => Promise<T>): Promise<T> {
  const live = await read(await session.listing.hints());
  session.listing.listed(live.assistants);
  return live;
}

/**
 * Every assistant and file at the session's endpoint, for a command that reads the whole
 * account without planning (diff --live, import, state rebuild, export, apply of a saved plan
 * without sensitive values): listed ahead, as a plan does.
 */
export function readWholeAccount(session: ApiSession): Promise<LiveState> {
  return listedAhead(session, (hints) => readLive(session.assistants, session.files, hints));
}

/** Markdown is printed by `plan --markdown` itself, split for the CI's comments. */
export type PlanFormat = 'text' | 'json';

export function renderPlan(plan: Plan, format: PlanFormat, io: CliIo): string {
  if (format === 'json') return renderJson(plan);
  return renderText(plan, { color: io.color });
}
