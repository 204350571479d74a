/**
 * Internal: explicit per-type mappers between the camelCase models and the snake_case
 * wire. Only the API's own field names are translated; user data (metadata keys, a
 * function's `parameters`, tool arguments and outputs) is copied untouched, and parts
 * of a type this client does not know (a newer API) are kept as received.
 */
import type { AssistantFileObject, AssistantObject, AssistantTool, CreateAssistantRequest, DeleteAssistantFileResponse, DeleteAssistantResponse, DeleteFileResponse, ListFilesResponse, ListResponse, ModifyAssistantRequest, OpenAIFile, UnknownTool } from './models.js';
import type { JsonObject, JsonValue } from '../json.js';
import type {
  MessageDeltaContentImageFile,
  MessageDeltaContentText,
  MessageDeltaObject,
  MessageDeltaTextAnnotation,
  RunStepDeltaObject,
  RunStepDeltaToolCall,
} from './stream-models.js';
import type {
  CreateMessageRequest,
  CreateRunRequest,
  CreateThreadAndRunRequest,
  CreateThreadRequest,
  DeleteThreadResponse,
  MessageContent,
  MessageFileObject,
  MessageObject,
  ModifyMessageRequest,
  ModifyRunRequest,
  ModifyThreadRequest,
  RunObject,
  RunStepObject,
  StepToolCall,
  SubmitToolOutputsRunRequest,
  TextAnnotation,
  ThreadObject,
  ToolChoice,
  TruncationStrategy,
  UnknownPart,
  Usage,
  MessageCreationStepDetails,
  ToolCallsStepDetails,
} from './thread-models.js';
import type {
  WireAnnotation,
  WireAssistant,
  WireAssistantFile,
  WireCodeInterpreterCall,
  WireDeleted,
  WireDeltaAnnotation,
  WireDeltaImageFilePart,
  WireDeltaTextPart,
  WireDeltaToolCall,
  WireFile,
  WireFileList,
  WireFunction,
  WireFunctionCall,
  WireImageFilePart,
  WireList,
  WireMessage,
  WireMessageCreationDetails,
  WireMessageDelta,
  WireMessageFile,
  WirePart,
  WireRetrievalCall,
  WireRun,
  WireRunStep,
  WireRunStepDelta,
  WireTextPart,
  WireThread,
  WireTool,
  WireToolCallsDetails,
  WireUsage,
} from './wire.js';

/** Drops the keys whose value is `undefined`, so that only what the caller set is sent. */
function compact(fields: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A part of an unknown type, kept exactly as received. */
function keep(part: WirePart): UnknownPart {
  return { ...part };
}

// ---- lists -------------------------------------------------------------------------

export function listFromWire<W, T>(list: WireList<W>, item: (wire: W) => T): ListResponse<T> {
  return {
    object: 'list',
    data: list.data.map(item),
    firstId: list.first_id ?? null,
    lastId: list.last_id ?? null,
    hasMore: list.has_more,
  };
}

// ---- tools -------------------------------------------------------------------------

function toolToWire(tool: AssistantTool): JsonObject {
  if (tool.type === 'function') {
    const fn = tool.function;
    return {
      type: 'function',
      function: compact({ name: fn.name, description: fn.description, parameters: fn.parameters }),
    };
  }
  return { type: tool.type };
}

function toolsToWire(tools: AssistantTool[] | null | undefined): JsonValue | undefined {
  return tools == null ? tools : tools.map(toolToWire);
}

export function toolFromWire(tool: WireTool): AssistantTool | UnknownTool {
  switch (tool.type) {
    case 'code_interpreter':
    case 'retrieval':
      return { type: tool.type };
    case 'function': {
      if (typeof tool.function !== 'object' || tool.function === null || Array.isArray(tool.function)) return { ...tool };
      const fn = tool.function as unknown as WireFunction;
      const mapped: AssistantTool = { type: 'function', function: { name: fn.name } };
      if (fn.description !== undefined) mapped.function.description = fn.description;
      if (fn.parameters !== undefined) mapped.function.parameters = fn.parameters;
      return mapped;
    }
    default:
      return { ...tool };
  }
}

// ---- assistants and assistant files -------------------------------------------------

export function assistantFromWire(w: WireAssistant): AssistantObject {
  return {
    id: w.id,
    object: w.object,
    createdAt: w.created_at,
    name: w.name ?? null,
    description: w.description ?? null,
    model: w.model,
    instructions: w.instructions ?? null,
    tools: (w.tools ?? []).map(toolFromWire),
    fileIds: w.file_ids ?? [],
    metadata: w.metadata ?? null,
  };
}

export function createAssistantToWire(r: CreateAssistantRequest | ModifyAssistantRequest): JsonObject {
  return compact({
    model: r.model,
    name: r.name,
    description: r.description,
    instructions: r.instructions,
    tools: toolsToWire(r.tools),
    file_ids: r.fileIds,
    metadata: r.metadata,
  });
}

export const modifyAssistantToWire: (r: ModifyAssistantRequest) => JsonObject = createAssistantToWire;

function deletedFromWire<O extends string>(w: WireDeleted<O>): { id: string; object: O; deleted: boolean } {
  return { id: w.id, object: w.object, deleted: w.deleted };
}

export const deleteAssistantFromWire: (w: WireDeleted<'assistant.deleted'>) => DeleteAssistantResponse = deletedFromWire;
export const deleteAssistantFileFromWire: (w: WireDeleted<'assistant.file.deleted'>) => DeleteAssistantFileResponse =
  deletedFromWire;
export const deleteThreadFromWire: (w: WireDeleted<'thread.deleted'>) => DeleteThreadResponse = deletedFromWire;
export const deleteFileFromWire: (w: WireDeleted<'file'>) => DeleteFileResponse = deletedFromWire;

export function assistantFileFromWire(w: WireAssistantFile): AssistantFileObject {
  return { id: w.id, object: w.object, createdAt: w.created_at, assistantId: w.assistant_id };
}

// ---- files -------------------------------------------------------------------------

export function fileFromWire(w: WireFile): OpenAIFile {
  const file: OpenAIFile = {
    id: w.id,
    object: w.object,
    bytes: w.bytes,
    createdAt: w.created_at,
    filename: w.filename,
    purpose: w.purpose,
    status: w.status,
  };
  if (w.status_details !== undefined) file.statusDetails = w.status_details;
  return file;
}

export function fileListFromWire(w: WireFileList): ListFilesResponse {
  return { object: 'list', data: w.data.map(fileFromWire) };
}

// ---- threads and messages ------------------------------------------------------------

export function threadFromWire(w: WireThread): ThreadObject {
  return { id: w.id, object: w.object, createdAt: w.created_at, metadata: w.metadata ?? null };
}

export function createMessageToWire(r: CreateMessageRequest): JsonObject {
  return compact({ role: r.role, content: r.content, file_ids: r.fileIds, metadata: r.metadata });
}

export function createThreadToWire(r: CreateThreadRequest): JsonObject {
  return compact({ messages: r.messages?.map(createMessageToWire), metadata: r.metadata });
}

export function metadataOnlyToWire(r: ModifyThreadRequest | ModifyMessageRequest | ModifyRunRequest): JsonObject {
  return compact({ metadata: r.metadata });
}

function annotationFromWire(part: WirePart): TextAnnotation | UnknownPart {
  const a = part as unknown as WireAnnotation;
  if (a.type === 'file_citation' && a.file_citation) {
    return {
      type: 'file_citation',
      text: a.text,
      fileCitation: { fileId: a.file_citation.file_id, quote: a.file_citation.quote },
      startIndex: a.start_index,
      endIndex: a.end_index,
    };
  }
  if (a.type === 'file_path' && a.file_path) {
    return {
      type: 'file_path',
      text: a.text,
      filePath: { fileId: a.file_path.file_id },
      startIndex: a.start_index,
      endIndex: a.end_index,
    };
  }
  return keep(part);
}

function contentFromWire(part: WirePart): MessageContent | UnknownPart {
  switch (part.type) {
    case 'text': {
      const t = part as unknown as WireTextPart;
      return { type: 'text', text: { value: t.text.value, annotations: (t.text.annotations ?? []).map(annotationFromWire) } };
    }
    case 'image_file': {
      const i = part as unknown as WireImageFilePart;
      return { type: 'image_file', imageFile: { fileId: i.image_file.file_id } };
    }
    default:
      return keep(part);
  }
}

export function messageFromWire(w: WireMessage): MessageObject {
  return {
    id: w.id,
    object: w.object,
    createdAt: w.created_at,
    threadId: w.thread_id,
    status: w.status,
    incompleteDetails: w.incomplete_details ?? null,
    completedAt: w.completed_at ?? null,
    incompleteAt: w.incomplete_at ?? null,
    role: w.role,
    content: w.content.map(contentFromWire),
    assistantId: w.assistant_id ?? null,
    runId: w.run_id ?? null,
    fileIds: w.file_ids ?? [],
    metadata: w.metadata ?? null,
  };
}

export function messageFileFromWire(w: WireMessageFile): MessageFileObject {
  return { id: w.id, object: w.object, createdAt: w.created_at, messageId: w.message_id };
}

// ---- runs ----------------------------------------------------------------------------

function usageFromWire(u: WireUsage | null | undefined): Usage | null {
  return u ? { completionTokens: u.completion_tokens, promptTokens: u.prompt_tokens, totalTokens: u.total_tokens } : null;
}

function truncationToWire(t: TruncationStrategy | null | undefined): JsonValue | undefined {
  return t == null ? t : compact({ type: t.type, last_messages: t.lastMessages });
}

function toolChoiceToWire(c: ToolChoice | null | undefined): JsonValue | undefined {
  if (c == null || typeof c === 'string') return c;
  return compact({ type: c.type, function: c.function ? { name: c.function.name } : undefined });
}

function runOptionsToWire(r: CreateRunRequest | CreateThreadAndRunRequest): Record<string, JsonValue | undefined> {
  return {
    assistant_id: r.assistantId,
    model: r.model,
    instructions: r.instructions,
    tools: toolsToWire(r.tools),
    metadata: r.metadata,
    temperature: r.temperature,
    stream: r.stream,
    max_prompt_tokens: r.maxPromptTokens,
    max_completion_tokens: r.maxCompletionTokens,
    truncation_strategy: truncationToWire(r.truncationStrategy),
    tool_choice: toolChoiceToWire(r.toolChoice),
    response_format: r.responseFormat == null || typeof r.responseFormat === 'string'
      ? r.responseFormat
      : { type: r.responseFormat.type },
  };
}

export function createRunToWire(r: CreateRunRequest): JsonObject {
  return compact({
    ...runOptionsToWire(r),
    additional_instructions: r.additionalInstructions,
    additional_messages: r.additionalMessages == null ? r.additionalMessages : r.additionalMessages.map(createMessageToWire),
  });
}

export function createThreadAndRunToWire(r: CreateThreadAndRunRequest): JsonObject {
  return compact({ ...runOptionsToWire(r), thread: r.thread === undefined ? undefined : createThreadToWire(r.thread) });
}

export function submitToolOutputsToWire(r: SubmitToolOutputsRunRequest): JsonObject {
  return compact({
    tool_outputs: r.toolOutputs.map((o) => compact({ tool_call_id: o.toolCallId, output: o.output })),
    stream: r.stream,
  });
}

export function runFromWire(w: WireRun): RunObject {
  const run: RunObject = {
    id: w.id,
    object: w.object,
    createdAt: w.created_at,
    threadId: w.thread_id,
    assistantId: w.assistant_id,
    status: w.status,
    requiredAction: w.required_action
      ? {
          type: w.required_action.type,
          submitToolOutputs: {
            toolCalls: w.required_action.submit_tool_outputs.tool_calls.map((c) => ({
              id: c.id,
              type: c.type,
              function: { name: c.function.name, arguments: c.function.arguments },
            })),
          },
        }
      : null,
    lastError: w.last_error ? { code: w.last_error.code, message: w.last_error.message } : null,
    expiresAt: w.expires_at ?? null,
    startedAt: w.started_at ?? null,
    cancelledAt: w.cancelled_at ?? null,
    failedAt: w.failed_at ?? null,
    completedAt: w.completed_at ?? null,
    incompleteDetails: w.incomplete_details ?? null,
    model: w.model,
    instructions: w.instructions,
    tools: (w.tools ?? []).map(toolFromWire),
    fileIds: w.file_ids ?? [],
    metadata: w.metadata ?? null,
    usage: usageFromWire(w.usage),
    maxPromptTokens: w.max_prompt_tokens ?? null,
    maxCompletionTokens: w.max_completion_tokens ?? null,
    truncationStrategy: w.truncation_strategy
      ? { type: w.truncation_strategy.type, lastMessages: w.truncation_strategy.last_messages ?? null }
      : null,
    toolChoice: w.tool_choice ?? null,
    responseFormat: w.response_format ?? null,
  };
  if (w.temperature !== undefined) run.temperature = w.temperature;
  return run;
}

// ---- run steps -------------------------------------------------------------------------

function stepToolCallFromWire(part: WirePart): StepToolCall | UnknownPart {
  switch (part.type) {
    case 'code_interpreter': {
      const c = part as unknown as WireCodeInterpreterCall;
      return {
        id: c.id,
        type: 'code_interpreter',
        codeInterpreter: {
          input: c.code_interpreter.input,
          outputs: c.code_interpreter.outputs.map((o) => {
            if (o.type === 'logs' && typeof o['logs'] === 'string') return { type: 'logs', logs: o['logs'] };
            const image = o['image'] as { file_id?: unknown } | undefined;
            if (o.type === 'image' && typeof image?.file_id === 'string') return { type: 'image', image: { fileId: image.file_id } };
            return keep(o);
          }),
        },
      };
    }
    case 'retrieval': {
      const r = part as unknown as WireRetrievalCall;
      return { id: r.id, type: 'retrieval', retrieval: { ...r.retrieval } };
    }
    case 'function': {
      const f = part as unknown as WireFunctionCall;
      return {
        id: f.id,
        type: 'function',
        function: { name: f.function.name, arguments: f.function.arguments, output: f.function.output ?? null },
      };
    }
    default:
      return keep(part);
  }
}

function stepDetailsFromWire(part: WirePart): MessageCreationStepDetails | ToolCallsStepDetails | UnknownPart {
  switch (part.type) {
    case 'message_creation': {
      const m = part as unknown as WireMessageCreationDetails;
      return { type: 'message_creation', messageCreation: { messageId: m.message_creation.message_id } };
    }
    case 'tool_calls': {
      const t = part as unknown as WireToolCallsDetails;
      return { type: 'tool_calls', toolCalls: t.tool_calls.map(stepToolCallFromWire) };
    }
    default:
      return keep(part);
  }
}

export function runStepFromWire(w: WireRunStep): RunStepObject {
  return {
    id: w.id,
    object: w.object,
    createdAt: w.created_at,
    assistantId: w.assistant_id,
    threadId: w.thread_id,
    runId: w.run_id,
    type: w.type,
    status: w.status,
    stepDetails: stepDetailsFromWire(w.step_details),
    lastError: w.last_error ? { code: w.last_error.code, message: w.last_error.message } : null,
    expiredAt: w.expired_at ?? null,
    cancelledAt: w.cancelled_at ?? null,
    failedAt: w.failed_at ?? null,
    completedAt: w.completed_at ?? null,
    metadata: w.metadata ?? null,
    usage: usageFromWire(w.usage),
  };
}

// ---- stream deltas -----------------------------------------------------------------------

/** Copies the keys whose value is defined from `fields` onto `target`. */
function assignDefined<T extends object>(target: T, fields: Partial<T>): T {
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}

function deltaAnnotationFromWire(part: WirePart): MessageDeltaTextAnnotation | UnknownPart {
  const a = part as unknown as WireDeltaAnnotation;
  if (a.type !== 'file_citation' && a.type !== 'file_path') return keep(part);
  return assignDefined<MessageDeltaTextAnnotation>(
    { index: a.index, type: a.type },
    {
      text: a.text,
      fileCitation: a.file_citation
        ? assignDefined({}, { fileId: a.file_citation.file_id, quote: a.file_citation.quote })
        : undefined,
      filePath: a.file_path ? assignDefined({}, { fileId: a.file_path.file_id }) : undefined,
      startIndex: a.start_index,
      endIndex: a.end_index,
    },
  );
}

function deltaContentFromWire(part: WirePart): MessageDeltaContentText | MessageDeltaContentImageFile | UnknownPart {
  switch (part.type) {
    case 'text': {
      const t = part as unknown as WireDeltaTextPart;
      const text = t.text
        ? assignDefined<NonNullable<MessageDeltaContentText['text']>>(
            {},
            { value: t.text.value, annotations: t.text.annotations?.map(deltaAnnotationFromWire) },
          )
        : undefined;
      return assignDefined<MessageDeltaContentText>({ index: t.index, type: 'text' }, { text });
    }
    case 'image_file': {
      const i = part as unknown as WireDeltaImageFilePart;
      const imageFile = i.image_file ? assignDefined({}, { fileId: i.image_file.file_id }) : undefined;
      return assignDefined<MessageDeltaContentImageFile>({ index: i.index, type: 'image_file' }, { imageFile });
    }
    default:
      return keep(part);
  }
}

export function messageDeltaFromWire(w: WireMessageDelta): MessageDeltaObject {
  return {
    id: w.id,
    object: w.object,
    delta: assignDefined<MessageDeltaObject['delta']>(
      {},
      { role: w.delta.role, content: w.delta.content?.map(deltaContentFromWire), fileIds: w.delta.file_ids },
    ),
  };
}

function deltaToolCallFromWire(part: WirePart): RunStepDeltaToolCall | UnknownPart {
  const c = part as unknown as WireDeltaToolCall;
  if (c.type !== 'code_interpreter' && c.type !== 'retrieval' && c.type !== 'function') return keep(part);
  const ci = c.code_interpreter;
  return assignDefined<RunStepDeltaToolCall>(
    { index: c.index, type: c.type },
    {
      id: c.id,
      codeInterpreter: ci
        ? assignDefined<NonNullable<RunStepDeltaToolCall['codeInterpreter']>>(
            {},
            {
              input: ci.input,
              outputs: ci.outputs?.map((o) =>
                assignDefined<{ index: number; type: 'logs' | 'image'; logs?: string; image?: { fileId?: string } }>(
                  { index: o.index, type: o.type },
                  { logs: o.logs, image: o.image ? assignDefined({}, { fileId: o.image.file_id }) : undefined },
                ),
              ),
            },
          )
        : undefined,
      retrieval: c.retrieval ? { ...c.retrieval } : undefined,
      function: c.function ? { ...c.function } : undefined,
    },
  );
}

export function runStepDeltaFromWire(w: WireRunStepDelta): RunStepDeltaObject {
  const details = w.delta.step_details;
  let stepDetails: RunStepDeltaObject['delta']['stepDetails'];
  if (details?.type === 'message_creation') {
    const m = details as unknown as { message_creation?: { message_id?: string } };
    stepDetails = assignDefined<{ type: 'message_creation'; messageCreation?: { messageId?: string } }>(
      { type: 'message_creation' },
      { messageCreation: m.message_creation ? assignDefined({}, { messageId: m.message_creation.message_id }) : undefined },
    );
  } else if (details?.type === 'tool_calls') {
    const t = details as unknown as { tool_calls?: WirePart[] };
    stepDetails = assignDefined<{ type: 'tool_calls'; toolCalls?: Array<RunStepDeltaToolCall | UnknownPart> }>(
      { type: 'tool_calls' },
      { toolCalls: t.tool_calls?.map(deltaToolCallFromWire) },
    );
  }
  return { id: w.id, object: w.object, delta: stepDetails ? { stepDetails } : {} };
}
