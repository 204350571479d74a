/**
 * `assistants show [PLANFILE] [--json]`: a saved plan as plan printed it (or its JSON
 * form), or, without one, what the state manages with its values as they are on the
 * server now (the parts made with a sensitive variable shown as (sensitive)).
 */
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { NotFoundError } from '../../api/errors.js';
import { stringifySorted } from '../../canonical-json.js';
import { UserError } from '../../errors.js';
import { readPlanFile } from '../../plan/planfile.js';
import { redactView } from '../../plan/redact.js';
import type { AssistantView } from '../../plan/types.js';
import { fileLabelsById, liveView } from '../../plan/view.js';
import { readWithJournal } from '../../state/recover.js';
import type { StateFile } from '../../state/types.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { addOptions, ENDPOINT, LOCATION, LOCK, STATE, type EndpointOptions, type LockOptions, type ManifestOptions, type StateOptions } from '../options.js';
import { renderPlan } from '../planning.js';
import { openSession, type ApiSession } from '../session.js';
import { withStateBackend } from '../state-backend.js';

type ShowOptions = ManifestOptions & EndpointOptions & StateOptions & LockOptions & { json?: boolean };

interface Shown {
  project: string;
  environment: string;
  endpoint: string;
  serial: number;
  assistants: Record<string, { id: string; values: AssistantView | null }>;
  files: Record<string, { id: string; filename: string; bytes: number; sha256: string }>;
}

export function register(program: Command, io: CliIo): void {
  const command = addOptions(program.command('show'), [new Option('--json', 'print it as JSON (a plan: schemas/plan.schema.json)')], LOCATION, ENDPOINT, STATE, LOCK).argument(
    '[planfile]',
    'a plan saved with "assistants plan --out" (default: show the state)',
  );
  addHelp(command, {
    summary: 'Show a saved plan, or the state with the values on the server',
    about:
      'With PLANFILE: the plan as "assistants plan" printed it, to review before "assistants apply PLANFILE"; nothing is read but the file. Without: every ' +
      'assistant the state records with its values as they are on the server now (null for one deleted outside the tool), and every file.',
    examples: [
      ['assistants show prod.plan', 'review a saved plan'],
      ['assistants show --json --env prod', 'what prod manages, with values, as JSON'],
    ],
  });
  command.action(async (planfile: string | undefined, options: ShowOptions) => {
    if (planfile !== undefined) {
      io.stdout.write(renderPlan(await readPlanFile(planfile), options.json ? 'json' : 'text', io));
      return;
    }
    await withStateBackend(options, {}, io, async (backend) => {
      const state = await readWithJournal(backend);
      if (state === null) throw new UserError('STATE', `${backend.location}: no state yet (nothing was applied to this environment, or --env/--state point elsewhere).`);
      const session = await openSession({ ...options, endpoint: options.endpoint ?? state.endpoint }, io, 'show');
      try {
        if (session.endpoint !== state.endpoint) {
          throw new UserError('STATE', `the state belongs to endpoint ${state.endpoint}, not ${session.endpoint}; drop --endpoint or give that one.`);
        }
        const shown = await withValues(state, session);
        io.stdout.write(options.json ? stringifySorted(shown) : stringify(shown, { lineWidth: 0 }));
      } finally {
        await session.close();
      }
    });
  });
}

async function withValues(state: StateFile, session: ApiSession): Promise<Shown> {
  const labels = fileLabelsById(state.files);
  const assistants: Shown['assistants'] = {};
  for (const key of Object.keys(state.assistants).sort()) {
    const record = state.assistants[key];
    if (record === undefined) continue;
    let values: AssistantView | null = null;
    try {
      values = redactView(liveView(await session.assistants.getAssistant({ assistantId: record.id }), labels), record.sensitive ?? []);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    assistants[key] = { id: record.id, values };
  }
  const files: Shown['files'] = {};
  for (const name of Object.keys(state.files).sort()) {
    const file = state.files[name];
    if (file !== undefined) files[name] = { id: file.id, filename: file.filename, bytes: file.bytes, sha256: file.sha256 };
  }
  return { project: state.project, environment: state.environment, endpoint: state.endpoint, serial: state.serial, assistants, files };
}
