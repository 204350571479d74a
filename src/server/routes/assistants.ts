/**
 * Assistants and assistant files: the nine v1 operations.
 *
 * An assistant's `file_ids` and its `/assistants/{id}/files` are two views of one
 * relation, the `assistant_files` collection: one record per (assistant, file) link,
 * in attach order. Assistant records are stored without `file_ids`; `toWire` adds them.
 */
import type { ServerContext } from '../context.js';
import { ApiError, invalidRequest, notFound } from '../errors.js';
import { ID_PREFIX, newId, nowSeconds } from '../ids.js';
import { paginate } from '../pagination.js';
import type { Router } from '../router.js';
import type { Collection, Store } from '../store.js';
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

export function assistantCollections(store: Store): {
  assistants: Collection<AssistantRecord>;
  links: Collection<AssistantFileLink>;
} {
  return {
    assistants: store.collection<AssistantRecord>('assistants'),
    links: store.collection<AssistantFileLink>('assistant_files'),
  };
}

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
export function checkFileIds(
  ctx: ServerContext,
  value: unknown,
  param = 'file_ids',
  maxItems: number = ASSISTANT_LIMITS.fileIds,
): string[] {
  const ids = checkArray(value, param, { maxItems }).map((id, index) => checkString(id, `${param}[${index}]`));
  for (const id of ids) checkAttachable(ctx, id, param);
  return [...new Set(ids)];
}

function checkAttachable(ctx: ServerContext, fileId: string, param: string): void {
  const file = ctx.getFile(fileId);
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
  const { assistants, links } = assistantCollections(ctx.store);

  const linksOf = (assistantId: string): AssistantFileLink[] => links.filter((l) => l.assistant_id === assistantId);
  const linkId = (assistantId: string, fileId: string): string => `${assistantId}/${fileId}`;
  const attach = (assistantId: string, fileId: string): AssistantFileLink =>
    links.get(linkId(assistantId, fileId)) ??
    links.insert({ id: linkId(assistantId, fileId), assistant_id: assistantId, file_id: fileId, created_at: nowSeconds() });

  const requireAssistant = (id: string): AssistantRecord => {
    const record = assistants.get(id);
    if (!record) throw notFound('assistant', id);
    return record;
  };

  /** Fields shared by create and modify, validated; only those present in the body. */
  const readFields = (body: JsonObject): Partial<AssistantRecord> & { file_ids?: string[] } => {
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
    if (body.file_ids !== undefined) out.file_ids = checkFileIds(ctx, body.file_ids);
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
    const { file_ids: fileIds = [], ...fields } = readFields(body);
    const record = assistants.insert({
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
    for (const fileId of fileIds) attach(record.id, fileId);
    return ctx.getAssistant(record.id);
  });

  router.add('GET', '/v1/assistants', (req) => {
    const fileIds = new Map<string, string[]>();
    for (const link of links.all()) {
      const list = fileIds.get(link.assistant_id);
      if (list) list.push(link.file_id);
      else fileIds.set(link.assistant_id, [link.file_id]);
    }
    const all = assistants.all().map((record) => recordToWire(record, fileIds.get(record.id) ?? []));
    return paginate(all, req.query);
  });

  router.add('GET', '/v1/assistants/:assistant_id', (req) => {
    requireAssistant(req.params.assistant_id);
    return ctx.getAssistant(req.params.assistant_id);
  });

  router.add('POST', '/v1/assistants/:assistant_id', (req) => {
    const id = req.params.assistant_id;
    requireAssistant(id);
    const { file_ids: fileIds, ...fields } = readFields(requireObjectBody(req.body));
    assistants.update(id, (current) => ({ ...current, ...fields }));
    if (fileIds !== undefined) {
      // The list replaces the set: links not in it go, existing ones keep their attach time.
      const keep = new Set(fileIds);
      links.deleteWhere((l) => l.assistant_id === id && !keep.has(l.file_id));
      for (const fileId of fileIds) attach(id, fileId);
    }
    return ctx.getAssistant(id);
  });

  router.add('DELETE', '/v1/assistants/:assistant_id', (req) => {
    const id = req.params.assistant_id;
    requireAssistant(id);
    links.deleteWhere((l) => l.assistant_id === id);
    assistants.delete(id);
    return { id, object: 'assistant.deleted', deleted: true };
  });

  router.add('POST', '/v1/assistants/:assistant_id/files', (req) => {
    const assistantId = req.params.assistant_id;
    requireAssistant(assistantId);
    const body = requireObjectBody(req.body);
    rejectUnknownFields(body, ['file_id']);
    if (body.file_id === undefined) missingParameter('file_id');
    const fileId = checkString(body.file_id, 'file_id');
    checkAttachable(ctx, fileId, 'file_id');
    const existing = links.get(linkId(assistantId, fileId));
    // Attaching an attached file again is a no-op, so a retried request is harmless.
    if (existing) return toAssistantFile(existing);
    if (linksOf(assistantId).length >= ASSISTANT_LIMITS.fileIds) {
      throw new ApiError(
        400,
        `Assistant '${assistantId}' already has the maximum of ${ASSISTANT_LIMITS.fileIds} files attached.`,
        { param: 'file_id', code: 'array_above_max_length' },
      );
    }
    return toAssistantFile(attach(assistantId, fileId));
  });

  router.add('GET', '/v1/assistants/:assistant_id/files', (req) => {
    requireAssistant(req.params.assistant_id);
    return paginate(linksOf(req.params.assistant_id).map(toAssistantFile), req.query);
  });

  router.add('GET', '/v1/assistants/:assistant_id/files/:file_id', (req) => {
    const { assistant_id: assistantId, file_id: fileId } = req.params;
    requireAssistant(assistantId);
    const link = links.get(linkId(assistantId, fileId));
    if (!link) throw notFound('file', fileId);
    return toAssistantFile(link);
  });

  router.add('DELETE', '/v1/assistants/:assistant_id/files/:file_id', (req) => {
    const { assistant_id: assistantId, file_id: fileId } = req.params;
    requireAssistant(assistantId);
    if (!links.delete(linkId(assistantId, fileId))) throw notFound('file', fileId);
    return { id: fileId, object: 'assistant.file.deleted', deleted: true };
  });
}

/** The assistant as the API returns it, with `file_ids` in attach order. */
export function assistantToWire(store: Store, id: string): AssistantObject | undefined {
  const { assistants, links } = assistantCollections(store);
  const record = assistants.get(id);
  if (!record) return undefined;
  return recordToWire(
    record,
    links.filter((l) => l.assistant_id === id).map((l) => l.file_id),
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
