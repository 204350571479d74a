/**
 * Reading live state: every assistant in pages of 100, the API's maximum (N assistants in
 * the account cost max(1, ceil(N/100)) requests), and every file in one request (/files
 * is not paginated); the two run in parallel. Attachments come
 * from each assistant's `file_ids` in the listing; only an assistant listed without
 * them (a server that leaves the field out) costs a `listAssistantFiles` call.
 *
 * The listing's pages are read ahead from `hints` when the caller has them: the cursors an
 * earlier complete listing of the same endpoint left (`listingCursors` of its ids, which
 * the returned listing's order gives). The rule that keeps such a listing one a reader
 * going page by page could have made is CursorPaginator's (api/pagination.ts).
 */
import { setImmediate } from 'node:timers';
import type { AssistantsApi, FilesApi } from '../api/index.js';
import type { AssistantObject, OpenAIFile } from '../api/models.js';
import type { DesiredState } from '../manifest/types.js';
import type { StateFile } from '../state/types.js';
import { hashValue } from './hash.js';
import type { LiveState } from './planner.js';
import { leftoverCandidates, ourUploadCandidates, readUploadHashes, recordedUploadIds } from './uploads.js';

/** `onPage` sees each page as it comes, while the next one is asked for; `hints`: see the top of this file. */
export async function listAllAssistants(api: AssistantsApi, onPage?: (page: readonly AssistantObject[]) => void, hints: readonly string[] = []): Promise<AssistantObject[]> {
  const all: AssistantObject[] = [];
  for await (const page of api.iterateAssistants({ order: 'asc' }).pages({ hints })) {
    all.push(...page.data);
    onPage?.(page.data);
  }
  await Promise.all(
    all
      .filter((a) => !Array.isArray(a.fileIds))
      .map(async (a) => {
        a.fileIds = (await api.iterateAssistantFiles({ assistantId: a.id, order: 'asc' }).toArray()).map((f) => f.id);
      }),
  );
  return all;
}

/** Every assistant (in the listing's order) and file; `hints`: see the top of this file. */
export async function readLive(assistants: AssistantsApi, files: FilesApi, hints: readonly string[] = []): Promise<LiveState> {
  return listLive(assistants, files, null, hints);
}

/** readLive, the objects also handed to `listed` as they come (each as it will be planned). */
async function listLive(
  assistants: AssistantsApi,
  files: FilesApi,
  listed: ((objects: ReadonlyArray<AssistantObject | OpenAIFile>) => void) | null,
  hints: readonly string[],
): Promise<LiveState> {
  const [liveAssistants, liveFiles] = await Promise.all([
    // One listed without its attachments is left out: listAllAssistants fills them in after.
    listAllAssistants(assistants, listed === null ? undefined : (page) => listed(page.filter((a) => Array.isArray(a.fileIds))), hints),
    files.listFiles({}).then((list) => {
      listed?.(list.data);
      return list;
    }),
  ]);
  return { assistants: liveAssistants, files: liveFiles.data };
}

/** Items a batch: ~1-3 ms of work, well inside a round trip. */
const BATCH = 100;

/**
 * Work done while responses are awaited: each batch runs from setImmediate, after the
 * requests already asked for have gone out, and waits for the one before, so the event
 * loop reads responses between batches. Work a plan needs of every object (1,000
 * assistants and 2,000 files: their fingerprints, the manifest's views) then fills the
 * round trips of the listing instead of following them.
 */
export class WhileWaiting {
  #work: Promise<void> = Promise.resolve();

  /** `work` on each item, a batch at a time. */
  add<T>(items: readonly T[], work: (item: T) => void): void {
    for (let start = 0; start < items.length; start += BATCH) {
      const batch = items.slice(start, start + BATCH);
      this.#work = this.#work.then(
        () =>
          new Promise((resolve) => {
            setImmediate(() => {
              for (const item of batch) work(item);
              resolve();
            });
          }),
      );
    }
  }

  /** Once all the work added so far is done. */
  async done(): Promise<void> {
    await this.#work;
  }
}

/** What readLiveFor needs of the desired state. */
type PlannedFor = Pick<DesiredState, 'project' | 'environment' | 'files'>;

/**
 * readLive, plus the content of the unrecorded uploads that may be ours (uploads.ts): one
 * download per candidate, and there are none while the state records what it attached and
 * holds no unsettled upload; and the fingerprints of what was listed, for the plan.
 */
export async function readLiveFor(
  /**
   * Called when the listing's first answer is in, so that making the desired state (hashing
   * its attached files) fills the round trips that follow, and awaited once the listing is read.
   */
  desired: () => Promise<PlannedFor>,
  state: StateFile | null,
  assistants: AssistantsApi,
  files: FilesApi,
  waiting: WhileWaiting = new WhileWaiting(),
  hints: readonly string[] = [],
): Promise<LiveState> {
  const fingerprints = new Map<AssistantObject | OpenAIFile, string>();
  let making: Promise<PlannedFor> | undefined;
  const make = (): Promise<PlannedFor> => {
    if (making === undefined) {
      making = desired();
      // Awaited below; a listing that fails first must not leave its failure unhandled.
      making.catch(() => undefined);
    }
    return making;
  };
  const live = await listLive(
    assistants,
    files,
    (objects) => {
      make();
      waiting.add(objects, (object) => fingerprints.set(object, hashValue(object)));
    },
    hints,
  );
  const leftovers = leftoverCandidates(live, Object.values(state?.unsettledUploads ?? {}), recordedUploadIds(state)).map(({ file }) => file);
  const uploadHashes = await readUploadHashes(files, [...ourUploadCandidates(live, await make(), state), ...leftovers]);
  await waiting.done();
  return { ...live, uploadHashes, fingerprints };
}
