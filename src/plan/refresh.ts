/**
 * Reading live state: every assistant in pages of 100, the API's maximum (N assistants in
 * the account cost max(1, ceil(N/100)) requests), and every file in one request (/files
 * is not paginated); the two run in parallel. Attachments come
 * from each assistant's `file_ids` in the listing; only an assistant listed without
 * them (a server that leaves the field out) costs a `listAssistantFiles` call.
 */
import type { AssistantsApi, FilesApi } from '../api/index.js';
import type { AssistantObject } from '../api/models.js';
import type { LiveState } from './planner.js';

export async function listAllAssistants(api: AssistantsApi): Promise<AssistantObject[]> {
  const all: AssistantObject[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await api.listAssistants({ limit: 100, order: 'asc', ...(after ? { after } : {}) });
    all.push(...page.data);
    if (!page.hasMore || page.data.length === 0 || !page.lastId) break;
    after = page.lastId;
  }
  await Promise.all(
    all
      .filter((a) => !Array.isArray(a.fileIds))
      .map(async (a) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await api.listAssistantFiles({ assistantId: a.id, limit: 100, order: 'asc', ...(cursor ? { after: cursor } : {}) });
          ids.push(...page.data.map((f) => f.id));
          if (!page.hasMore || page.data.length === 0 || !page.lastId) break;
          cursor = page.lastId;
        }
        a.fileIds = ids;
      }),
  );
  return all;
}

export async function readLive(assistants: AssistantsApi, files: FilesApi): Promise<LiveState> {
  const [liveAssistants, liveFiles] = await Promise.all([listAllAssistants(assistants), files.listFiles({})]);
  return { assistants: liveAssistants, files: liveFiles.data };
}
