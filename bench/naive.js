/**
 * The naive baseline: what a user writes without this tool. A plain script over our own
 * client that lists everything (our paginator's default page of 100), then creates, modifies or deletes
 * one object at a time, each request awaited before the next. Assistants are matched by
 * name and files by filename; nothing is hashed and nothing is recorded.
 */
import { AssistantsApi, createConfiguration, FilesApi } from '../dist/api/index.js';
import { filePath } from './workload.js';

export function naiveClient(baseUrl) {
  const configuration = createConfiguration({ baseUrl, apiKey: 'sk-bench', maxRetries: 5 });
  return { configuration, assistants: new AssistantsApi(configuration), files: new FilesApi(configuration) };
}

async function listEverything(client) {
  const assistants = [];
  for await (const a of client.assistants.iterateAssistants()) assistants.push(a);
  const files = (await client.files.listFiles({})).data;
  return { assistants, files };
}

function sameFiles(a, b) {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/**
 * Makes the server match `desired` (plain data, see workload.js). With `dryRun`, only
 * lists and compares (the naive "plan"). Returns how many writes it made or would make.
 */
export async function naiveSync(client, dir, desired, { dryRun = false } = {}) {
  const live = await listEverything(client);
  const assistantByName = new Map(live.assistants.map((a) => [a.name, a]));
  const fileIdByName = new Map(live.files.map((f) => [f.filename, f.id]));
  let writes = 0;
  const wanted = new Set();
  for (const d of desired) {
    wanted.add(d.name);
    const fileIds = [];
    for (const name of d.files) {
      let id = fileIdByName.get(`${name}.txt`);
      if (id === undefined) {
        writes++;
        if (!dryRun) {
          id = (await client.files.createFile({ filePath: filePath(dir, name), purpose: 'assistants' })).id;
          fileIdByName.set(`${name}.txt`, id);
        }
      }
      if (id !== undefined) fileIds.push(id);
    }
    const existing = assistantByName.get(d.name);
    const body = { name: d.name, model: d.model, instructions: d.instructions, tools: d.tools, fileIds };
    if (!existing) {
      writes++;
      if (!dryRun) await client.assistants.createAssistant({ createAssistantRequest: body });
    } else if (existing.model !== d.model || existing.instructions !== d.instructions || !sameFiles(existing.fileIds ?? [], fileIds)) {
      writes++;
      if (!dryRun) await client.assistants.modifyAssistant({ assistantId: existing.id, modifyAssistantRequest: body });
    }
  }
  for (const a of live.assistants) {
    if (wanted.has(a.name)) continue;
    writes++;
    if (!dryRun) await client.assistants.deleteAssistant({ assistantId: a.id });
  }
  return writes;
}

/** The naive destroy: list everything, delete every assistant, then every file, one by one. */
export async function naiveDestroy(client) {
  const live = await listEverything(client);
  for (const a of live.assistants) await client.assistants.deleteAssistant({ assistantId: a.id });
  for (const f of live.files) await client.files.deleteFile({ fileId: f.id });
  return live.assistants.length + live.files.length;
}
