/**
 * `assistants diff --env A --env B [--live]`: how two environments of one manifest differ,
 * as resolved (variables, overlays, files by content) or as deployed (their states and the
 * server). Exits 0 when they are the same, 2 when they differ, as plan --detailed-exitcode.
 */
import { Option, type Command } from 'commander';
import { UserError } from '../../errors.js';
import type { DesiredState } from '../../manifest/types.js';
import { environmentDiff, type DeclaredDifferences, type DiffSide } from '../../plan/env-diff.js';
import { withoutTag } from '../../plan/ownership.js';
import { readWholeAccount } from '../planning.js';
import { fileLabel, fileLabelsById, liveView } from '../../plan/view.js';
import type { AssistantView } from '../../plan/types.js';
import { renderDiffJson, renderDiffMarkdown, renderDiffText } from '../../render/env-diff.js';
import type { StateFile } from '../../state/types.js';
import type { CliIo } from '../io.js';
import { addOptions, BACKEND, ENDPOINT, type CommonOptions, type StateOptions } from '../options.js';
import { addHelp } from '../help.js';
import { checkedEnvironment } from '../../state/resolve-path.js';
import { requireDeclaredEnvironment } from '../promotion.js';
import { endpointOf, loadDesired, openSession } from '../session.js';
import { desiredScope, withStateBackend } from '../state-backend.js';

interface DiffOptions extends Omit<CommonOptions, 'env'>, Omit<StateOptions, 'state'> {
  env?: string[];
  live?: boolean;
  json?: boolean;
  markdown?: boolean;
}

export function register(program: Command, io: CliIo): void {
  const command = addOptions(
    program.command('diff'),
    [
      new Option('--env <name>', 'an environment to compare: give two, --env A --env B').argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), checkedEnvironment(value)]),
      new Option('--live', 'compare what is deployed in both (their states and the server) instead of the manifest'),
      new Option('--json', 'print the differences as JSON (schemas/diff.schema.json)'),
      new Option('--markdown', 'print the differences as Markdown, for a pull request or a release note'),
    ],
    ['file', 'allowOutsidePaths', 'var'],
    ENDPOINT,
    BACKEND,
  );
  addHelp(command, {
    summary: 'Show how two environments differ, as resolved or as deployed',
    about:
      'Compares two environments of the manifest field by field (variables and overlays resolved, attached files by content), the differences the manifest declares ' +
      'per environment apart from the rest. --live compares what is deployed in both, from their states and the server. Exits 0 when they are the same, 2 when they differ.',
    examples: [
      ['assistants diff --env staging --env prod', 'what prod would get that staging does not, as the manifest says'],
      ['assistants diff --env staging --env prod --live', 'what differs as deployed: the overlays, and any drift or change not promoted yet'],
    ],
  });
  command.action(async (options: DiffOptions) => {
    if (options.json && options.markdown) throw new UserError('USAGE', '--json and --markdown are exclusive: pick one output format.');
    const [from, to, ...rest] = options.env ?? [];
    if (from === undefined || to === undefined || rest.length > 0 || from === to) {
      throw new UserError('USAGE', 'diff compares two environments: give --env A --env B, two different ones of the manifest.');
    }
    for (const env of [from, to]) await requireDeclaredEnvironment(options, io, env, '--env');
    const [a, b] = [await loadDesired({ ...options, env: from }, io), await loadDesired({ ...options, env: to }, io)];
    const declared = declaredDifferences(b);
    const sides: [DiffSide, DiffSide] = options.live ? await deployedSides(options, io, a, b) : [desiredSide(a), desiredSide(b)];
    const diff = environmentDiff(a.project, options.live ? 'live' : 'resolved', sides[0], sides[1], declared);
    io.stdout.write(options.json ? renderDiffJson(diff) : options.markdown ? renderDiffMarkdown(diff) : renderDiffText(diff, { color: io.color }));
    io.exitCode = diff.assistants.length > 0 ? 2 : 0;
  });
}

/** What the manifest declares per environment: the same whichever environment it is read from. */
function declaredDifferences(desired: DesiredState): DeclaredDifferences {
  const assistants = Object.values(desired.assistants);
  return {
    parts: new Map(assistants.map((assistant) => [assistant.key, assistant.promotable.environmentSpecific])),
    sharedFiles: new Map(assistants.map((assistant) => [assistant.key, Object.keys(assistant.promotable.files)])),
  };
}

function desiredSide(desired: DesiredState): DiffSide {
  const assistants = new Map<string, { view: AssistantView; sensitive: readonly string[] }>();
  for (const assistant of Object.values(desired.assistants)) {
    const { spec } = assistant;
    const files = assistant.files.map((name) => fileLabel(name, desired.files[name]?.sha256 ?? '')).sort();
    const view: AssistantView = { ...spec, tools: spec.tools as unknown as AssistantView['tools'], files, metadata: { ...spec.metadata } };
    assistants.set(assistant.key, { view, sensitive: assistant.sensitive });
  }
  return { environment: desired.environment, assistants };
}

/** Both environments as deployed: each state's assistants, as the server has them now. */
async function deployedSides(options: DiffOptions, io: CliIo, a: DesiredState, b: DesiredState): Promise<[DiffSide, DiffSide]> {
  const sides: DiffSide[] = [];
  for (const desired of [a, b]) {
    const env = desired.environment;
    const endpoint = endpointOf(options, io, desired.endpoint);
    const found = await withStateBackend({ ...options, env }, desiredScope(desired), io, async (backend) => ({ state: await backend.read(), location: backend.location }));
    if (found.state === null) throw new UserError('STATE', `--live: no state for environment "${env}" at ${found.location}: nothing is deployed there yet; apply it first.`);
    if (found.state.project !== desired.project || found.state.endpoint !== endpoint) {
      throw new UserError('STATE', `--live: ${found.location} belongs to project "${found.state.project}" at ${found.state.endpoint}, not "${desired.project}" at ${endpoint}; give the matching --endpoint.`);
    }
    sides.push(await deployedSide(found.state, options, io, desired.endpoint));
  }
  return [sides[0]!, sides[1]!];
}

/** One environment as deployed: its state's assistants, as the server it is at has them now. */
async function deployedSide(state: StateFile, options: DiffOptions, io: CliIo, environmentEndpoint: string | undefined): Promise<DiffSide> {
  const session = await openSession({ ...options, lockTimeout: 0 }, io, 'diff', environmentEndpoint);
  try {
    const live = await readWholeAccount(session);
    const byId = new Map(live.assistants.map((assistant) => [assistant.id, assistant]));
    const labels = fileLabelsById(state.files);
    const assistants = new Map<string, { view: AssistantView; sensitive: readonly string[] }>();
    for (const [key, record] of Object.entries(state.assistants)) {
      const found = byId.get(record.id);
      if (found === undefined) continue;
      const view = liveView(found, labels);
      assistants.set(key, { view: { ...view, metadata: withoutTag(view.metadata) }, sensitive: record.sensitive ?? [] });
    }
    return { environment: state.environment, assistants };
  } finally {
    await session.close();
  }
}
