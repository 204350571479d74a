/**
 * Which deployed assistant (and upload) each manifest key (and file name) of the tests is:
 * from the environment's state, or, with no state at hand, from the ownership tags. With a
 * state, each assistant is read too, so the results can record exactly what was tested.
 */
import type { AssistantsApi, FilesApi } from '../api/index.js';
import { NotFoundError } from '../api/errors.js';
import type { AssistantObject, OpenAIFile } from '../api/models.js';
import { canonicalJson } from '../canonical-json.js';
import { ownEntry } from '../dictionary.js';
import { UserError } from '../errors.js';
import type { DesiredState } from '../manifest/types.js';
import { taggedByKey } from '../plan/ownership.js';
import { listAllAssistants } from '../plan/refresh.js';
import { sameNameAndSize } from '../plan/uploads.js';
import { fieldHashes, fileLabelsById, liveView } from '../plan/view.js';
import type { FieldHashes, StateFile } from '../state/types.js';
import type { ConversationTarget } from './conversation.js';

/** An assistant as the tests found it. */
export interface TestedAssistant {
  id: string;
  /** Its fields' hashes as it stands on the server (hashed as the state's `applied`); null without a state. */
  fields: FieldHashes | null;
  /** `fields` equal what the state records as last applied. */
  asApplied: boolean;
}

export interface Targets {
  /** By assistant key. */
  conversations: Map<string, ConversationTarget>;
  tested: Map<string, TestedAssistant>;
}

export interface TargetsInput {
  /** The assistant keys the tests talk to, and the manifest files they attach or cite. */
  keys: readonly string[];
  files: readonly string[];
  desired: DesiredState;
  state: StateFile | null;
  assistants: AssistantsApi;
  filesApi: FilesApi;
  /** The state's location, for messages; null when there is none. */
  stateLocation: string | null;
}

export async function resolveTargets(input: TargetsInput): Promise<Targets> {
  return input.state === null ? byTags(input) : byState(input, input.state);
}

async function byState(input: TargetsInput, state: StateFile): Promise<Targets> {
  const labels = fileLabelsById(state.files);
  const fileIds = new Map<string, string>();
  for (const name of input.files) {
    const record = ownEntry(state.files, name);
    if (record === undefined) throw notDeployed(`file "${name}" has no upload recorded in ${input.stateLocation}`, input.desired);
    fileIds.set(name, record.id);
  }
  const conversations = new Map<string, ConversationTarget>();
  const tested = new Map<string, TestedAssistant>();
  await Promise.all(
    input.keys.map(async (key) => {
      const record = ownEntry(state.assistants, key);
      if (record === undefined) throw notDeployed(`assistant "${key}" is not recorded in ${input.stateLocation}`, input.desired);
      let live: AssistantObject;
      try {
        live = await input.assistants.getAssistant({ assistantId: record.id });
      } catch (error) {
        if (error instanceof NotFoundError) throw notDeployed(`assistant "${key}" (${record.id}), recorded in ${input.stateLocation}, no longer exists`, input.desired);
        throw error;
      }
      const fields = fieldHashes(liveView(live, labels));
      conversations.set(key, { assistantId: live.id, fileIds });
      tested.set(key, { id: live.id, fields, asApplied: canonicalJson(fields) === canonicalJson(record.applied) });
    }),
  );
  return { conversations, tested };
}

/** No state: the assistants tagged for this project, environment and key, and the uploads attached to them. */
async function byTags(input: TargetsInput): Promise<Targets> {
  const { desired } = input;
  const [assistants, files] = await Promise.all([listAllAssistants(input.assistants), input.filesApi.listFiles({})]);
  // The oldest of each key's: the one the next plan keeps.
  const ours = new Map([...taggedByKey(assistants, desired)].map(([key, [oldest]]) => [key, oldest as AssistantObject]));
  const attached = new Set([...ours.values()].flatMap((assistant) => assistant.fileIds ?? []));
  const fileIds = new Map<string, string>();
  for (const name of input.files) {
    const wanted = ownEntry(desired.files, name);
    const upload = wanted === undefined ? undefined : files.data.find((file: OpenAIFile) => attached.has(file.id) && sameNameAndSize(file, wanted));
    if (upload === undefined) throw notDeployed(`no upload of file "${name}" is attached to this environment's assistants`, desired);
    fileIds.set(name, upload.id);
  }
  const conversations = new Map<string, ConversationTarget>();
  const tested = new Map<string, TestedAssistant>();
  for (const key of input.keys) {
    const assistant = ours.get(key);
    if (assistant === undefined) throw notDeployed(`no assistant is tagged as ${desired.project}/${desired.environment}/${key}, and there is no state`, desired);
    conversations.set(key, { assistantId: assistant.id, fileIds });
    tested.set(key, { id: assistant.id, fields: null, asApplied: false });
  }
  return { conversations, tested };
}

function notDeployed(what: string, desired: DesiredState): UserError {
  return new UserError('STATE', `${what}: run "assistants apply --env ${desired.environment}" first, or test a throwaway copy with --ephemeral; no test was run.`);
}
