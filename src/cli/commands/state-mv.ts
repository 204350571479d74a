/**
 * `assistants state mv OLD NEW`: rename an assistant's key, keeping the assistant and its
 * id (as `terraform state mv`), instead of the destroy and create a renamed key plans.
 * The move is journaled before the assistant is retagged: a run killed in between leaves
 * the state under NEW with the old tag, which the next plan shows as a metadata change
 * (never as a delete).
 */
import type { Command } from 'commander';
import { NotFoundError } from '../../api/errors.js';
import type { AssistantObject } from '../../api/models.js';
import { ownEntry } from '../../dictionary.js';
import { UserError } from '../../errors.js';
import { formatOwner, otherOwner, withTag } from '../../plan/ownership.js';
import { fieldHashes, fileLabelsById, liveView } from '../../plan/view.js';
import { applyJournal, type JournalEntry } from '../../state/journal.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { withStateLock } from '../locking.js';
import { addOptions, ENDPOINT, LOCATION, LOCK, STATE, type EndpointOptions, type LockOptions, type ManifestOptions, type StateOptions } from '../options.js';
import { openSession } from '../session.js';
import { withStateBackend } from '../state-backend.js';
import { stateCommand } from './state.js';

type MoveOptions = ManifestOptions & EndpointOptions & StateOptions & LockOptions;

/** What a manifest key may be (schemas/manifest.schema.json, `identifier`). */
const KEY = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function register(program: Command, io: CliIo): void {
  const command = addOptions(stateCommand(program).command('mv'), [], LOCATION, ENDPOINT, STATE, LOCK)
    .argument('<old>', 'the key the state records the assistant under')
    .argument('<new>', 'its new key, as the manifest now names it');
  addHelp(command, {
    summary: 'Rename an assistant\'s key, keeping the assistant and its id',
    about:
      'Renaming a key in the manifest alone plans a new assistant and the deletion of the old one. Run this with the rename: the state records the assistant ' +
      'under NEW and its ownership tag is changed to match, so the next plan shows no change. A NEW already in the state, or an OLD not in it, is refused.',
    examples: [['assistants state mv support helpdesk', 'the assistant recorded as "support" becomes "helpdesk"']],
    exits: [3, 130],
  });
  command.action(async (from: string, to: string, options: MoveOptions) => {
    if (!KEY.test(to)) throw new UserError('USAGE', `state mv: ${JSON.stringify(to.slice(0, 70))} is not a key: use 1-63 lowercase letters, digits, _ or -, starting with a letter or digit.`);
    await withStateBackend(options, {}, io, (backend) =>
      withStateLock(backend, 'state mv', options.lockTimeout, io, async (current) => {
        if (current === null) throw new UserError('STATE', `${backend.location}: no state yet, so there is nothing to move.`);
        const record = ownEntry(current.assistants, from);
        if (record === undefined) {
          throw new UserError('STATE', `state mv: ${from} is not in the state at ${backend.location}; "assistants state list" shows what it holds.`);
        }
        const taken = ownEntry(current.assistants, to);
        if (taken !== undefined) {
          throw new UserError('STATE', `state mv: ${to} is already in the state (${taken.id}); choose another key, or "assistants state rm ${to}" first.`);
        }
        const session = await openSession({ ...options, endpoint: options.endpoint ?? current.endpoint }, io, 'state mv');
        try {
          if (session.endpoint !== current.endpoint) {
            throw new UserError('STATE', `the state belongs to endpoint ${current.endpoint}, not ${session.endpoint}; drop --endpoint or give that one.`);
          }
          const scope = { project: current.project, environment: current.environment };
          let live: AssistantObject | null;
          try {
            live = await session.assistants.getAssistant({ assistantId: record.id });
          } catch (error) {
            if (!(error instanceof NotFoundError)) throw error;
            live = null;
          }
          const owner = live === null ? null : otherOwner(live.metadata, { ...scope, key: from });
          if (owner !== null) {
            throw new UserError('STATE', `state mv: ${record.id} is tagged ${formatOwner(owner)}, not ${formatOwner({ ...scope, key: from })}; it will not be retagged.`);
          }
          const at = (): string => new Date().toISOString();
          const moved = (applied: typeof record.applied): JournalEntry[] => [
            { op: 'assistant.updated', key: to, id: record.id, applied, ...(record.sensitive ? { sensitive: record.sensitive } : {}), at: at() },
            { op: 'assistant.deleted', key: from, id: record.id, at: at() },
          ];
          // Journaled first: whatever happens next, the state no longer names the assistant by its old key.
          for (const entry of moved(record.applied)) await backend.appendJournal(entry);
          let applied = record.applied;
          if (live !== null) {
            const tagged = withTag(live.metadata, { ...scope, key: to });
            const retagged = await session.assistants.modifyAssistant({ assistantId: record.id, modifyAssistantRequest: { metadata: tagged } });
            // Only the tag changed: a drift of the other fields stays for the next plan to show.
            applied = { ...record.applied, metadata: fieldHashes(liveView(retagged, fileLabelsById(current.files))).metadata };
          }
          await backend.write(applyJournal(current, moved(applied)));
          await backend.clearJournal();
          io.stdout.write(
            `Moved ${from} to ${to} (${record.id})${live === null ? '; the assistant no longer exists on the server, so only the record moved' : ', retagged'}.\n`,
          );
        } finally {
          await session.close();
        }
      }),
    );
  });
}
