/**
 * The requests the applier makes, over the client. The client's own retries are off
 * here: the executor retries itself so a 429 pauses the whole pool and a create that
 * may have reached the server is looked for before it is sent again.
 */
import type { AssistantsApi, FilesApi } from '../api/index.js';
import type { AssistantObject, CreateAssistantRequest, ModifyAssistantRequest, OpenAIFile } from '../api/models.js';
import { listAllAssistants } from '../plan/refresh.js';
import { contentSha256 } from '../plan/uploads.js';

export interface ApplyApi {
  createAssistant(body: CreateAssistantRequest): Promise<AssistantObject>;
  modifyAssistant(id: string, body: ModifyAssistantRequest): Promise<AssistantObject>;
  deleteAssistant(id: string): Promise<void>;
  /** Uploads `content`, the file's bytes already read, or else streams the file at `path`. */
  uploadFile(path: string, filename: string, content: Uint8Array | null): Promise<OpenAIFile>;
  deleteFile(id: string): Promise<void>;
  listAllAssistants(): Promise<AssistantObject[]>;
  listFiles(): Promise<OpenAIFile[]>;
  /** sha256 of an upload's content, or null when the server does not serve it. */
  contentSha256(id: string): Promise<string | null>;
}

const ONCE = { maxRetries: 0 };

export function createApplyApi(assistants: AssistantsApi, files: FilesApi): ApplyApi {
  return {
    createAssistant: (body) => assistants.createAssistant({ createAssistantRequest: body }, ONCE),
    modifyAssistant: (id, body) => assistants.modifyAssistant({ assistantId: id, modifyAssistantRequest: body }, ONCE),
    deleteAssistant: async (id) => void (await assistants.deleteAssistant({ assistantId: id }, ONCE)),
    uploadFile: (path, filename, content) =>
      files.createFile(content === null ? { filePath: path, filename, purpose: 'assistants' } : { file: content, filename, purpose: 'assistants' }, ONCE),
    deleteFile: async (id) => void (await files.deleteFile({ fileId: id }, ONCE)),
    listAllAssistants: () => listAllAssistants(assistants),
    listFiles: async () => (await files.listFiles({})).data,
    contentSha256: (id) => contentSha256(files, id),
  };
}
