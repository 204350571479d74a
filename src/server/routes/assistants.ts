/**
 * Assistants and assistant files: the nine v1 operations.
 *
 * An assistant's `file_ids` and its `/assistants/{id}/files` are two views of one
 * relation, the `assistant_files` collection: one record per (assistant, file) link,
 * in attach order. Assistant records are stored without `file_ids`; `toWire` adds them.
 */
import type { ServerContext } from '../context.js';
import type { OpenAIFile } from './files.js';
import { ApiError, invalidRequest, notFound } from '../errors.js';
import { ID_PREFIX, newId, nowSeconds } from '../ids.js';
import { pageOf, parsePageQuery } from '../pagination.js';
import type { Router } from '../router.js';
import type { StoreReader, StoreWriter } from '../store/store.js';
import {
  checkArray,
  checkEnum,
  checkMetadata,
  checkObject,
  checkString,
  missingParameter,
  rejectUnknownFields,
  requireObjectBody,
  type JsonObject,
  type Metadata,
} from '../validate.js';

export type AssistantTool =
  | { type: 'code_interpreter' }
  | { type: 'retrieval' }
  | { type: 'function'; function: { name: string; description?: string; parameters?: JsonObject } };

export interface AssistantObject {
  id: string;
  object: 'assistant';
  created_at: number;
  name: string | null;
  description: string | null;
  model: string;
  instructions: string | null;
  tools: AssistantTool[];
  file_ids: string[];
  metadata: Metadata | null;
}

export type AssistantRecord = Omit<AssistantObject, 'file_ids'>;

export interface AssistantFileLink {
  /** `<assistant_id>/<file_id>` */
  id: string;
  assistant_id: string;
  file_id: string;
  created_at: number;
}

export interface AssistantFileObject {
  id: string;
  object: 'assistant.file';
  created_at: number;
  assistant_id: string;
}

export const ASSISTANT_LIMITS = {
  name: 256,
  description: 512,
  instructions: 256_000,
  tools: 128,
  fileIds: 20,
} as const;

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const FIELDS = ['model', 'name', 'description', 'instructions', 'tools', 'file_ids', 'metadata'] as const;

/** Validates a `tools` array (`maxItems`: 128 on assistants, 20 on runs). */
export function checkTools(value: unknown, param = 'tools', maxItems: number = ASSISTANT_LIMITS.tools): AssistantTool[] {
  return checkArray(value, param, { maxItems }).map((raw, index) => {
    const at = `${param}[${index}]`;
    const tool = checkObject(raw, at);
    if (tool.type === undefined) missingParameter(`${at}.type`);
    const type = checkEnum(tool.type, `${at}.type`, ['code_interpreter', 'retrieval', 'function'] as const);
    if (type !== 'function') {
      rejectUnknownFields(tool, ['type'], at);
      return { type };
    }
    rejectUnknownFields(tool, ['type', 'function'], at);
    if (tool.function === undefined) missingParameter(`${at}.function`);
    const fn = checkObject(tool.function, `${at}.function`);
    rejectUnknownFields(fn, ['name', 'description', 'parameters'], `${at}.function`);
    if (fn.name === undefined) missingParameter(`${at}.function.name`);
    const name = checkString(fn.name, `${at}.function.name`);
    if (!FUNCTION_NAME.test(name)) {
      throw invalidRequest(
        `Invalid '${at}.function.name': string does not match pattern. Expected a string that matches the pattern '${FUNCTION_NAME.source}'.`,
        `${at}.function.name`,
        'invalid_value',
      );
    }
    const out: AssistantTool = { type: 'function', function: { name } };
    if (fn.description !== undefined) out.function.description = checkString(fn.description, `${at}.function.description`);
    if (fn.parameters !== undefined) out.function.parameters = checkObject(fn.parameters, `${at}.function.parameters`);
    return out;
  });
}

/**
 * Validates `file_ids`: strings, at most `maxItems`, each an existing File with purpose
 * `assistants`. Duplicates collapse to the first occurrence.
 */
export async function checkFileIds(
  reader: StoreReader,
  value: unknown,
  param = 'file_ids',
  maxItems: number = ASSISTANT_LIMITS.fileIds,
): Promise<string[]> {
  const ids = checkArray(value, param, { maxItems }).map((id, index) => checkString(id, `${param}[${index}]`));
  const found = new Map((await reader.listIn('files', 'id', ids)).map((file) => [file.id, file]));
  for (const id of ids) checkAttachable(found.get(id), id, param);
  return [...new Set(ids)];
}

function checkAttachable(file: OpenAIFile | undefined, fileId: string, param: string): void {
  if (!file) throw invalidRequest(`No file found with id '${fileId}'.`, param, 'invalid_value');
  if (file.purpose !== 'assistants') {
    throw invalidRequest(
      `File '${fileId}' has purpose '${file.purpose}'; only files with purpose 'assistants' can be attached.`,
      param,
      'invalid_value',
    );
  }
}

function toAssistantFile(link: AssistantFileLink): AssistantFileObject {
  return { id: link.file_id, object: 'assistant.file', created_at: link.created_at, assistant_id: link.assistant_id };
}

export function registerAssistantRoutes(router: Router, ctx: ServerContext): void {
  const { store } = ctx;
  const linkId = (assistantId: string, fileId: string): string => `${assistantId}/${fileId}`;
  const attach = async (tx: StoreWriter, assistantId: string, fileId: string): Promise<AssistantFileLink> =>
    (await tx.get('assistant_files', linkId(assistantId, fileId))) ??
    tx.insert('assistant_files', { id: linkId(assistantId, fileId), assistant_id: assistantId, file_id: fileId, created_at: nowSeconds() });

  const requireAssistant = async (reader: StoreReader, id: string): Promise<AssistantRecord> => {
    const record = await reader.get('assistants', id);
    if (!record) throw notFound('assistant', id);
    return record;
  };

  /** Fields shared by create and modify, validated; only those present in the body. */
  const readFields = async (reader: StoreReader, body: JsonObject): Promise<Partial<AssistantRecord> & { file_ids?: string[] }> => {
    rejectUnknownFields(body, FIELDS);
    const out: Partial<AssistantRecord> & { file_ids?: string[] } = {};
    if (body.model !== undefined) out.model = checkString(body.model, 'model', { minLength: 1 });
    if (body.name !== undefined) out.name = checkString(body.name, 'name', { maxLength: ASSISTANT_LIMITS.name, nullable: true });
    if (body.description !== undefined) {
      out.description = checkString(body.description, 'description', {
        maxLength: ASSISTANT_LIMITS.description,
        nullable: true,
      });
    }
    if (body.instructions !== undefined) {
      out.instructions = checkString(body.instructions, 'instructions', {
        maxLength: ASSISTANT_LIMITS.instructions,
        nullable: true,
      });
    }
    if (body.tools !== undefined) out.tools = checkTools(body.tools);
    if (body.file_ids !== undefined) out.file_ids = await checkFileIds(reader, body.file_ids);
    // Metadata is a map that is never absent on the object: null and omitted both mean {}.
    const metadata = checkMetadata(body.metadata);
    if (metadata !== undefined) out.metadata = metadata ?? {};
    return out;
  };

  router.add('POST', '/v1/assistants', (req) => {
    const body = requireObjectBody(req.body);
    if (body.model === undefined) {
      rejectUnknownFields(body, FIELDS);
      missingParameter('model');
    }
    return store.transaction(async (tx) => {
      const { file_ids: fileIds = [], ...fields } = await readFields(tx, body);
      const record = await tx.insert('assistants', {
        id: newId(ID_PREFIX.assistant),
        object: 'assistant',
        created_at: nowSeconds(),
        name: null,
        description: null,
        model: fields.model ?? '',
        instructions: null,
        tools: [],
        metadata: {},
        ...fields,
      });
      for (const fileId of fileIds) await attach(tx, record.id, fileId);
      return recordToWire(record, fileIds);
    });
  });

  router.add('GET', '/v1/assistants', async (req) => {
    const page = await store.read.page('assistants', {}, parsePageQuery(req.query));
    const links = await store.read.listIn(
      'assistant_files',
      'assistant_id',
      page.data.map((record) => record.id),
    );
    const fileIds = new Map<string, string[]>();
    for (const link of links) {
      const list = fileIds.get(link.assistant_id);
      if (list) list.push(link.file_id);
      else fileIds.set(link.assistant_id, [link.file_id]);
    }
    return { ...page, data: page.data.map((record) => recordToWire(record, fileIds.get(record.id) ?? [])) };
  });

  router.add('GET', '/v1/assistants/:assistant_id', async (req) => {
    const assistant = await assistantToWire(store.read, req.params.assistant_id);
    if (!assistant) throw notFound('assistant', req.params.assistant_id);
    return assistant;
  });

  router.add('POST', '/v1/assistants/:assistant_id', (req) =>
    store.transaction(async (tx) => {
      const id = req.params.assistant_id;
      await requireAssistant(tx, id);
      const { file_ids: fileIds, ...fields } = await readFields(tx, requireObjectBody(req.body));
      await tx.update('assistants', id, (current) => ({ ...current, ...fields }));
      if (fileIds !== undefined) {
        // The list replaces the set: links not in it go, existing ones keep their attach time.
        const keep = new Set(fileIds);
        for (const link of await tx.list('assistant_files', { assistant_id: id })) {
          if (!keep.has(link.file_id)) await tx.delete('assistant_files', link.id);
        }
        for (const fileId of fileIds) await attach(tx, id, fileId);
      }
      return assistantToWire(tx, id);
    }),
  );

  router.add('DELETE', '/v1/assistants/:assistant_id', (req) =>
    store.transaction(async (tx) => {
      const id = req.params.assistant_id;
      await requireAssistant(tx, id);
      await tx.deleteWhere('assistant_files', { assistant_id: id });
      await tx.delete('assistants', id);
      return { id, object: 'assistant.deleted', deleted: true };
    }),
  );

  router.add('POST', '/v1/assistants/:assistant_id/files', (req) =>
    store.transaction(async (tx) => {
      const assistantId = req.params.assistant_id;
      await requireAssistant(tx, assistantId);
      const body = requireObjectBody(req.body);
      rejectUnknownFields(body, ['file_id']);
      if (body.file_id === undefined) missingParameter('file_id');
      const fileId = checkString(body.file_id, 'file_id');
      checkAttachable(await tx.get('files', fileId), fileId, 'file_id');
      const existing = await tx.get('assistant_files', linkId(assistantId, fileId));
      // Attaching an attached file again is a no-op, so a retried request is harmless.
      if (existing) return toAssistantFile(existing);
      if ((await tx.list('assistant_files', { assistant_id: assistantId })).length >= ASSISTANT_LIMITS.fileIds) {
        throw new ApiError(
          400,
          `Assistant '${assistantId}' already has the maximum of ${ASSISTANT_LIMITS.fileIds} files attached.`,
          { param: 'file_id', code: 'array_above_max_length' },
        );
      }
      return toAssistantFile(await attach(tx, assistantId, fileId));
    }),
  );

  router.add('GET', '/v1/assistants/:assistant_id/files', async (req) => {
    await requireAssistant(store.read, req.params.assistant_id);
    // At most 20 links, whose cursors are file ids: paged here rather than by the store.
    const links = await store.read.list('assistant_files', { assistant_id: req.params.assistant_id });
    return pageOf(links.map(toAssistantFile), parsePageQuery(req.query));
  });

  router.add('GET', '/v1/assistants/:assistant_id/files/:file_id', async (req) => {
    const { assistant_id: assistantId, file_id: fileId } = req.params;
    await requireAssistant(store.read, assistantId);
    const link = await store.read.get('assistant_files', linkId(assistantId, fileId));
    if (!link) throw notFound('file', fileId);
    return toAssistantFile(link);
  });

  router.add('DELETE', '/v1/assistants/:assistant_id/files/:file_id', (req) =>
    store.transaction(async (tx) => {
      const { assistant_id: assistantId, file_id: fileId } = req.params;
      await requireAssistant(tx, assistantId);
      if (!(await tx.delete('assistant_files', linkId(assistantId, fileId)))) throw notFound('file', fileId);
      return { id: fileId, object: 'assistant.file.deleted', deleted: true };
    }),
  );
}

/** The assistant as the API returns it, with `file_ids` in attach order. */
export async function assistantToWire(reader: StoreReader, id: string): Promise<AssistantObject | undefined> {
  const record = await reader.get('assistants', id);
  if (!record) return undefined;
  return recordToWire(
    record,
    (await reader.list('assistant_files', { assistant_id: id })).map((link) => link.file_id),
  );
}

function recordToWire(record: AssistantRecord, fileIds: string[]): AssistantObject {
  return {
    id: record.id,
    object: 'assistant',
    created_at: record.created_at,
    name: record.name,
    description: record.description,
    model: record.model,
    instructions: record.instructions,
    tools: record.tools,
    file_ids: fileIds,
    metadata: record.metadata,
  };
}
