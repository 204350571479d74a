/**
 * Reading live state: every assistant in pages of 100, the API's maximum (N assistants in
 * the account cost max(1, ceil(N/100)) requests), and every file in one request (/files
 * is not paginated); the two run in parallel. Attachments come
 * from each assistant's `file_ids` in the listing; only an assistant listed without
 * them (a server that leaves the field out) costs a `listAssistantFiles` call.
 */
import type { AssistantsApi, FilesApi } from '../api/index.js';
import type { AssistantObject } from '../api/models.js';
import type { DesiredState } from '../manifest/types.js';
import type { StateFile } from '../state/types.js';
import type { LiveState } from './planner.js';
import { leftoverCandidates, ourUploadCandidates, readUploadHashes, recordedUploadIds } from './uploads.js';

export async function listAllAssistants(api: AssistantsApi): Promise<AssistantObject[]> {
  const all = await api.iterateAssistants({ order: 'asc' }).toArray();
  await Promise.all(
    all
      .filter((a) => !Array.isArray(a.fileIds))
      .map(async (a) => {
        a.fileIds = (await api.iterateAssistantFiles({ assistantId: a.id, order: 'asc' }).toArray()).map((f) => f.id);
      }),
  );
  return all;
}

export async function readLive(assistants: AssistantsApi, files: FilesApi): Promise<LiveState> {
  const [liveAssistants, liveFiles] = await Promise.all([listAllAssistants(assistants), files.listFiles({})]);
  return { assistants: liveAssistants, files: liveFiles.data };
}

/**
 * readLive, plus the content of the unrecorded uploads that may be ours (uploads.ts): one
 * download per candidate, and there are none while the state records what it attached and
 * holds no unsettled upload.
 */
export async function readLiveFor(
  desired: Pick<DesiredState, 'project' | 'environment' | 'files'>,
  state: StateFile | null,
  assistants: AssistantsApi,
  files: FilesApi,
): Promise<LiveState> {
  const live = await readLive(assistants, files);
  const leftovers = leftoverCandidates(live, Object.values(state?.unsettledUploads ?? {}), recordedUploadIds(state)).map(({ file }) => file);
  return { ...live, uploadHashes: await readUploadHashes(files, [...ourUploadCandidates(live, desired, state), ...leftovers]) };
}
