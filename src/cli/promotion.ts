/**
 * `plan` / `apply --promote-from ENV [--require-tests] [--only-promoted]`: read the source
 * environment's state (read-only, without its lock: its last committed version), then let
 * through only what the gate passes (promotion/gate.ts).
 */
import { dirname, join } from 'node:path';
import { Option } from 'commander';
import { checkedEnvironment } from '../state/resolve-path.js';
import { UserError } from '../errors.js';
import { readManifest } from '../manifest/index.js';
import { environmentEndpoint } from '../manifest/environments.js';
import type { DesiredState } from '../manifest/types.js';
import type { PlanResult } from '../plan/planner.js';
import { promotionVerdicts, sourceProblem, verdictLines } from '../promotion/gate.js';
import type { StateFile } from '../state/types.js';
import type { CliIo } from './io.js';
import type { CommonOptions, StateOptions } from './options.js';
import { endpointOf } from './session.js';
import { withStateBackend } from './state-backend.js';

export interface PromotionOptions {
  promoteFrom?: string;
  requireTests?: boolean;
  onlyPromoted?: boolean;
}

/** The gate's options, for plan and apply. */
export function promotionOptions(): Option[] {
  return [
    new Option('--promote-from <env>', 'refuse any assistant change whose content was not applied in this environment first (the gate)').argParser((value: string) => checkedEnvironment(value)),
    new Option('--require-tests', 'with --promote-from: also require passing tests recorded there on that content'),
    new Option('--only-promoted', 'with --promote-from: leave out the changes not yet in that environment, listing them as waiting'),
  ];
}

/** What the gate needs from the source environment, read before anything is sent. */
export interface PromotionSource {
  state: StateFile;
  requireTests: boolean;
  onlyPromoted: boolean;
}

/**
 * Throws a one-line USAGE error unless the manifest declares environment `name` (given with
 * `flag`); else returns the endpoint the environment names, if any.
 */
export async function requireDeclaredEnvironment(options: Pick<CommonOptions, 'file'>, io: CliIo, name: string, flag: string): Promise<string | undefined> {
  const read = await readManifest({ file: options.file, cwd: io.cwd });
  if (!read.ok) return undefined;
  const declared = read.manifest.environments;
  if (!declared.includes(name)) {
    throw new UserError('USAGE', `${flag} ${name}: the manifest declares no environment "${name}"${declared.length > 0 ? ` (it declares ${declared.join(', ')})` : ''}.`);
  }
  return environmentEndpoint(read.manifest.tree, name);
}

function refuse(source: string, problem: string): UserError {
  return new UserError('PROMOTION', `--promote-from ${source}: ${problem}.`);
}

/**
 * The source environment's state, checked: declared in the manifest, written, readable,
 * this project's and at this endpoint. Null without --promote-from.
 */
export async function readPromotionSource(
  options: CommonOptions & StateOptions & PromotionOptions,
  desired: Pick<DesiredState, 'project' | 'environment' | 'backend'>,
  io: CliIo,
): Promise<PromotionSource | null> {
  const source = options.promoteFrom;
  if (source === undefined) {
    if (options.requireTests || options.onlyPromoted) throw new UserError('USAGE', '--require-tests and --only-promoted go with --promote-from ENV: name the environment to promote from.');
    return null;
  }
  if (source === desired.environment) throw refuse(source, `that is the environment being changed; name the one before it (e.g. --env prod --promote-from staging)`);
  const sourceEndpoint = await requireDeclaredEnvironment(options, io, source, '--promote-from');
  // A local state named by --state has its siblings beside it, one file per environment.
  const state = options.state === undefined ? undefined : join(dirname(options.state), `${source}.json`);
  const scope = { project: desired.project, environment: source, backend: desired.backend ?? null };
  const found = await withStateBackend({ ...options, state }, scope, io, async (backend) => {
    try {
      return { state: await backend.read(), location: backend.location };
    } catch (error) {
      if (error instanceof UserError) throw refuse(source, `cannot read its state: ${error.message.replace(/\.$/, '')}`);
      throw error;
    }
  });
  if (found.state === null) throw refuse(source, `no state at ${found.location}: nothing was applied to ${source} yet; apply there first`);
  const problem = sourceProblem(found.state, desired, endpointOf(options, io, sourceEndpoint));
  if (problem !== null) throw refuse(source, `${problem}; promote between environments of one project and endpoint`);
  return { state: found.state, requireTests: Boolean(options.requireTests), onlyPromoted: Boolean(options.onlyPromoted) };
}

/**
 * The plan the gate lets through: `planned` itself when every assistant it creates or
 * changes passes; with --only-promoted a plan made again without the waiting ones (null
 * when nothing is left); else a PROMOTION error naming each waiting assistant and why.
 */
export async function gatePlan(
  planned: PlanResult,
  context: { desired: DesiredState; target: StateFile | null; source: PromotionSource; targets: readonly string[]; verb: string },
  io: CliIo,
  planAgain: (targets: string[]) => Promise<PlanResult>,
): Promise<PlanResult | null> {
  const { desired, target, source } = context;
  const from = source.state.environment;
  const verdicts = promotionVerdicts({ plan: planned.plan, desired, target, source: source.state, requireTests: source.requireTests });
  const waiting = verdicts.filter((verdict) => verdict.kind === 'waiting');
  const passing = verdicts.filter((verdict) => verdict.kind !== 'waiting');
  if (waiting.length > 0 && !source.onlyPromoted) {
    throw new UserError(
      'PROMOTION',
      `Refusing to promote to ${desired.environment}: ${waiting.map((verdict) => verdict.key).join(', ')} not promoted from ${from}; nothing was changed. Apply to ${from} first, or give --only-promoted to leave ${waiting.length === 1 ? 'it' : 'them'} out.`,
      verdictLines(waiting, from),
    );
  }
  if (passing.length > 0) io.stderr.write(`Promotion from ${from} to ${desired.environment}:\n${verdictLines(passing, from).join('\n')}\n`);
  if (waiting.length === 0) return planned;
  io.stderr.write(`Waiting in ${from}, left out of this plan:\n${verdictLines(waiting, from).join('\n')}\n`);
  const left = new Set(waiting.map((verdict) => verdict.key));
  const everything = context.targets.length > 0 ? context.targets : [...new Set([...Object.keys(desired.assistants), ...Object.keys(target?.assistants ?? {})])];
  const keys = everything.filter((key) => !left.has(key)).sort();
  return keys.length === 0 ? null : await planAgain(keys);
}
