/**
 * `AssistantsApi`: the 28 operations of `docs/reference/AssistantsApi.md`, each taking the
 * seed's request object. Every method only maps a verb to an HTTP call; the transport
 * does the rest. Every method takes optional per-call `RequestOptions` last.
 */
import { transportOf, type Configuration } from './configuration.js';
import {
  assistantFileFromWire,
  assistantFromWire,
  createAssistantToWire,
  createMessageToWire,
  createRunToWire,
  createThreadAndRunToWire,
  createThreadToWire,
  deleteAssistantFileFromWire,
  deleteAssistantFromWire,
  deleteThreadFromWire,
  listFromWire,
  messageFileFromWire,
  messageFromWire,
  metadataOnlyToWire,
  modifyAssistantToWire,
  runFromWire,
  runStepFromWire,
  submitToolOutputsToWire,
  threadFromWire,
} from './mappers.js';
import type {
  AssistantFileObject,
  AssistantObject,
  CreateAssistantFileRequest,
  CreateAssistantRequest,
  DeleteAssistantFileResponse,
  DeleteAssistantResponse,
  ListAssistantFilesResponse,
  ListAssistantsResponse,
  ModifyAssistantRequest,
} from './models.js';
import { CursorPaginator, type ListingSource } from './pagination.js';
import { AssistantStream } from './stream.js';
import type {
  CreateMessageRequest,
  CreateRunRequest,
  CreateThreadAndRunRequest,
  CreateThreadRequest,
  DeleteThreadResponse,
  ListMessageFilesResponse,
  ListMessagesResponse,
  ListRunStepsResponse,
  ListRunsResponse,
  MessageFileObject,
  MessageObject,
  ModifyMessageRequest,
  ModifyRunRequest,
  ModifyThreadRequest,
  RunObject,
  RunStepObject,
  SubmitToolOutputsRunRequest,
  ThreadObject,
} from './thread-models.js';
import { encodePath, type ApiRequest, type RequestOptions, type Transport } from './transport.js';
import type {
  WireAssistant,
  WireAssistantFile,
  WireDeleted,
  WireList,
  WireMessage,
  WireMessageFile,
  WireRun,
  WireRunStep,
  WireThread,
} from './wire.js';

// ---- request objects, named as in the seed --------------------------------------------

export interface ListRequestParams {
  limit?: number;
  order?: 'asc' | 'desc';
  after?: string;
  before?: string;
}

export interface AssistantsApiCreateAssistantRequest {
  createAssistantRequest: CreateAssistantRequest;
}
export interface AssistantsApiGetAssistantRequest {
  assistantId: string;
}
export type AssistantsApiListAssistantsRequest = ListRequestParams;
export interface AssistantsApiModifyAssistantRequest {
  assistantId: string;
  modifyAssistantRequest: ModifyAssistantRequest;
}
export interface AssistantsApiDeleteAssistantRequest {
  assistantId: string;
}

export interface AssistantsApiCreateAssistantFileRequest {
  assistantId: string;
  createAssistantFileRequest: CreateAssistantFileRequest;
}
export interface AssistantsApiGetAssistantFileRequest {
  assistantId: string;
  fileId: string;
}
export interface AssistantsApiListAssistantFilesRequest extends ListRequestParams {
  assistantId: string;
}
export interface AssistantsApiDeleteAssistantFileRequest {
  assistantId: string;
  fileId: string;
}

export interface AssistantsApiCreateThreadRequest {
  createThreadRequest?: CreateThreadRequest;
}
export interface AssistantsApiGetThreadRequest {
  threadId: string;
}
export interface AssistantsApiModifyThreadRequest {
  threadId: string;
  modifyThreadRequest: ModifyThreadRequest;
}
export interface AssistantsApiDeleteThreadRequest {
  threadId: string;
}

export interface AssistantsApiCreateMessageRequest {
  threadId: string;
  createMessageRequest: CreateMessageRequest;
}
export interface AssistantsApiGetMessageRequest {
  threadId: string;
  messageId: string;
}
export interface AssistantsApiListMessagesRequest extends ListRequestParams {
  threadId: string;
  /** Only the messages this run created. */
  runId?: string;
}
export interface AssistantsApiModifyMessageRequest {
  threadId: string;
  messageId: string;
  modifyMessageRequest: ModifyMessageRequest;
}
export interface AssistantsApiGetMessageFileRequest {
  threadId: string;
  messageId: string;
  fileId: string;
}
export interface AssistantsApiListMessageFilesRequest extends ListRequestParams {
  threadId: string;
  messageId: string;
}

export interface AssistantsApiCreateRunRequest {
  threadId: string;
  createRunRequest: CreateRunRequest;
}
export interface AssistantsApiCreateThreadAndRunRequest {
  createThreadAndRunRequest: CreateThreadAndRunRequest;
}
export interface AssistantsApiGetRunRequest {
  threadId: string;
  runId: string;
}
export interface AssistantsApiListRunsRequest extends ListRequestParams {
  threadId: string;
}
export interface AssistantsApiModifyRunRequest {
  threadId: string;
  runId: string;
  modifyRunRequest: ModifyRunRequest;
}
export interface AssistantsApiCancelRunRequest {
  threadId: string;
  runId: string;
}
export interface AssistantsApiSubmitToolOuputsToRunRequest {
  threadId: string;
  runId: string;
  submitToolOutputsRunRequest: SubmitToolOutputsRunRequest;
}
/** The correctly spelled name of `AssistantsApiSubmitToolOuputsToRunRequest`. */
export type AssistantsApiSubmitToolOutputsToRunRequest = AssistantsApiSubmitToolOuputsToRunRequest;

export interface AssistantsApiGetRunStepRequest {
  threadId: string;
  runId: string;
  stepId: string;
}
export interface AssistantsApiListRunStepsRequest extends ListRequestParams {
  threadId: string;
  runId: string;
}

/** `stream: true` selects the AssistantStream overloads. */
type Streamed = { stream: true };
type NotStreamed = { stream?: false | null };

function listQuery(r: ListRequestParams): ApiRequest['query'] {
  return { limit: r.limit, order: r.order, after: r.after, before: r.before };
}

export class AssistantsApi {
  readonly #transport: Transport;
  readonly #baseUrl: string;

  constructor(configuration: Configuration) {
    this.#transport = transportOf(configuration);
    this.#baseUrl = configuration.baseUrl;
  }

  // ---- assistants ----

  async createAssistant(request: AssistantsApiCreateAssistantRequest, options?: RequestOptions): Promise<AssistantObject> {
    const body = createAssistantToWire(request.createAssistantRequest);
    return assistantFromWire(await this.#json<WireAssistant>({ method: 'POST', path: '/assistants', body: { json: body } }, options));
  }

  async getAssistant(request: AssistantsApiGetAssistantRequest, options?: RequestOptions): Promise<AssistantObject> {
    const path = encodePath`/assistants/${request.assistantId}`;
    return assistantFromWire(await this.#json<WireAssistant>({ method: 'GET', path }, options));
  }

  async listAssistants(request: AssistantsApiListAssistantsRequest = {}, options?: RequestOptions): Promise<ListAssistantsResponse> {
    const wire = await this.#json<WireList<WireAssistant>>({ method: 'GET', path: '/assistants', query: listQuery(request) }, options);
    return listFromWire(wire, assistantFromWire);
  }

  async modifyAssistant(request: AssistantsApiModifyAssistantRequest, options?: RequestOptions): Promise<AssistantObject> {
    const path = encodePath`/assistants/${request.assistantId}`;
    const body = modifyAssistantToWire(request.modifyAssistantRequest);
    return assistantFromWire(await this.#json<WireAssistant>({ method: 'POST', path, body: { json: body } }, options));
  }

  async deleteAssistant(request: AssistantsApiDeleteAssistantRequest, options?: RequestOptions): Promise<DeleteAssistantResponse> {
    const path = encodePath`/assistants/${request.assistantId}`;
    return deleteAssistantFromWire(await this.#json<WireDeleted<'assistant.deleted'>>({ method: 'DELETE', path }, options));
  }

  // ---- assistant files ----

  async createAssistantFile(request: AssistantsApiCreateAssistantFileRequest, options?: RequestOptions): Promise<AssistantFileObject> {
    const path = encodePath`/assistants/${request.assistantId}/files`;
    const body = { file_id: request.createAssistantFileRequest.fileId };
    return assistantFileFromWire(await this.#json<WireAssistantFile>({ method: 'POST', path, body: { json: body } }, options));
  }

  async getAssistantFile(request: AssistantsApiGetAssistantFileRequest, options?: RequestOptions): Promise<AssistantFileObject> {
    const path = encodePath`/assistants/${request.assistantId}/files/${request.fileId}`;
    return assistantFileFromWire(await this.#json<WireAssistantFile>({ method: 'GET', path }, options));
  }

  async listAssistantFiles(request: AssistantsApiListAssistantFilesRequest, options?: RequestOptions): Promise<ListAssistantFilesResponse> {
    const path = encodePath`/assistants/${request.assistantId}/files`;
    const wire = await this.#json<WireList<WireAssistantFile>>({ method: 'GET', path, query: listQuery(request) }, options);
    return listFromWire(wire, assistantFileFromWire);
  }

  async deleteAssistantFile(request: AssistantsApiDeleteAssistantFileRequest, options?: RequestOptions): Promise<DeleteAssistantFileResponse> {
    const path = encodePath`/assistants/${request.assistantId}/files/${request.fileId}`;
    return deleteAssistantFileFromWire(await this.#json<WireDeleted<'assistant.file.deleted'>>({ method: 'DELETE', path }, options));
  }

  // ---- threads ----

  async createThread(request: AssistantsApiCreateThreadRequest = {}, options?: RequestOptions): Promise<ThreadObject> {
    const body = createThreadToWire(request.createThreadRequest ?? {});
    return threadFromWire(await this.#json<WireThread>({ method: 'POST', path: '/threads', body: { json: body } }, options));
  }

  async getThread(request: AssistantsApiGetThreadRequest, options?: RequestOptions): Promise<ThreadObject> {
    const path = encodePath`/threads/${request.threadId}`;
    return threadFromWire(await this.#json<WireThread>({ method: 'GET', path }, options));
  }

  async modifyThread(request: AssistantsApiModifyThreadRequest, options?: RequestOptions): Promise<ThreadObject> {
    const path = encodePath`/threads/${request.threadId}`;
    const body = metadataOnlyToWire(request.modifyThreadRequest);
    return threadFromWire(await this.#json<WireThread>({ method: 'POST', path, body: { json: body } }, options));
  }

  async deleteThread(request: AssistantsApiDeleteThreadRequest, options?: RequestOptions): Promise<DeleteThreadResponse> {
    const path = encodePath`/threads/${request.threadId}`;
    return deleteThreadFromWire(await this.#json<WireDeleted<'thread.deleted'>>({ method: 'DELETE', path }, options));
  }

  // ---- messages and message files ----

  async createMessage(request: AssistantsApiCreateMessageRequest, options?: RequestOptions): Promise<MessageObject> {
    const path = encodePath`/threads/${request.threadId}/messages`;
    const body = createMessageToWire(request.createMessageRequest);
    return messageFromWire(await this.#json<WireMessage>({ method: 'POST', path, body: { json: body } }, options));
  }

  async getMessage(request: AssistantsApiGetMessageRequest, options?: RequestOptions): Promise<MessageObject> {
    const path = encodePath`/threads/${request.threadId}/messages/${request.messageId}`;
    return messageFromWire(await this.#json<WireMessage>({ method: 'GET', path }, options));
  }

  async listMessages(request: AssistantsApiListMessagesRequest, options?: RequestOptions): Promise<ListMessagesResponse> {
    const path = encodePath`/threads/${request.threadId}/messages`;
    const query = { ...listQuery(request), run_id: request.runId };
    return listFromWire(await this.#json<WireList<WireMessage>>({ method: 'GET', path, query }, options), messageFromWire);
  }

  async modifyMessage(request: AssistantsApiModifyMessageRequest, options?: RequestOptions): Promise<MessageObject> {
    const path = encodePath`/threads/${request.threadId}/messages/${request.messageId}`;
    const body = metadataOnlyToWire(request.modifyMessageRequest);
    return messageFromWire(await this.#json<WireMessage>({ method: 'POST', path, body: { json: body } }, options));
  }

  async getMessageFile(request: AssistantsApiGetMessageFileRequest, options?: RequestOptions): Promise<MessageFileObject> {
    const path = encodePath`/threads/${request.threadId}/messages/${request.messageId}/files/${request.fileId}`;
    return messageFileFromWire(await this.#json<WireMessageFile>({ method: 'GET', path }, options));
  }

  async listMessageFiles(request: AssistantsApiListMessageFilesRequest, options?: RequestOptions): Promise<ListMessageFilesResponse> {
    const path = encodePath`/threads/${request.threadId}/messages/${request.messageId}/files`;
    const wire = await this.#json<WireList<WireMessageFile>>({ method: 'GET', path, query: listQuery(request) }, options);
    return listFromWire(wire, messageFileFromWire);
  }

  // ---- runs ----

  createRun(
    request: AssistantsApiCreateRunRequest & { createRunRequest: Streamed },
    options?: RequestOptions,
  ): Promise<AssistantStream>;
  createRun(request: AssistantsApiCreateRunRequest & { createRunRequest: NotStreamed }, options?: RequestOptions): Promise<RunObject>;
  createRun(request: AssistantsApiCreateRunRequest, options?: RequestOptions): Promise<RunObject | AssistantStream>;
  createRun(request: AssistantsApiCreateRunRequest, options?: RequestOptions): Promise<RunObject | AssistantStream> {
    const path = encodePath`/threads/${request.threadId}/runs`;
    const body = createRunToWire(request.createRunRequest);
    return this.#runOrStream({ method: 'POST', path, body: { json: body } }, request.createRunRequest.stream, options);
  }

  createThreadAndRun(
    request: AssistantsApiCreateThreadAndRunRequest & { createThreadAndRunRequest: Streamed },
    options?: RequestOptions,
  ): Promise<AssistantStream>;
  createThreadAndRun(
    request: AssistantsApiCreateThreadAndRunRequest & { createThreadAndRunRequest: NotStreamed },
    options?: RequestOptions,
  ): Promise<RunObject>;
  createThreadAndRun(request: AssistantsApiCreateThreadAndRunRequest, options?: RequestOptions): Promise<RunObject | AssistantStream>;
  createThreadAndRun(request: AssistantsApiCreateThreadAndRunRequest, options?: RequestOptions): Promise<RunObject | AssistantStream> {
    const body = createThreadAndRunToWire(request.createThreadAndRunRequest);
    const stream = request.createThreadAndRunRequest.stream;
    return this.#runOrStream({ method: 'POST', path: '/threads/runs', body: { json: body } }, stream, options);
  }

  async getRun(request: AssistantsApiGetRunRequest, options?: RequestOptions): Promise<RunObject> {
    const path = encodePath`/threads/${request.threadId}/runs/${request.runId}`;
    return runFromWire(await this.#json<WireRun>({ method: 'GET', path }, options));
  }

  async listRuns(request: AssistantsApiListRunsRequest, options?: RequestOptions): Promise<ListRunsResponse> {
    const path = encodePath`/threads/${request.threadId}/runs`;
    return listFromWire(await this.#json<WireList<WireRun>>({ method: 'GET', path, query: listQuery(request) }, options), runFromWire);
  }

  async modifyRun(request: AssistantsApiModifyRunRequest, options?: RequestOptions): Promise<RunObject> {
    const path = encodePath`/threads/${request.threadId}/runs/${request.runId}`;
    const body = metadataOnlyToWire(request.modifyRunRequest);
    return runFromWire(await this.#json<WireRun>({ method: 'POST', path, body: { json: body } }, options));
  }

  async cancelRun(request: AssistantsApiCancelRunRequest, options?: RequestOptions): Promise<RunObject> {
    const path = encodePath`/threads/${request.threadId}/runs/${request.runId}/cancel`;
    return runFromWire(await this.#json<WireRun>({ method: 'POST', path }, options));
  }

  /** The seed's spelling; `submitToolOutputsToRun` is the same operation. */
  submitToolOuputsToRun(
    request: AssistantsApiSubmitToolOuputsToRunRequest & { submitToolOutputsRunRequest: Streamed },
    options?: RequestOptions,
  ): Promise<AssistantStream>;
  submitToolOuputsToRun(
    request: AssistantsApiSubmitToolOuputsToRunRequest & { submitToolOutputsRunRequest: NotStreamed },
    options?: RequestOptions,
  ): Promise<RunObject>;
  submitToolOuputsToRun(request: AssistantsApiSubmitToolOuputsToRunRequest, options?: RequestOptions): Promise<RunObject | AssistantStream>;
  submitToolOuputsToRun(request: AssistantsApiSubmitToolOuputsToRunRequest, options?: RequestOptions): Promise<RunObject | AssistantStream> {
    const path = encodePath`/threads/${request.threadId}/runs/${request.runId}/submit_tool_outputs`;
    const body = submitToolOutputsToWire(request.submitToolOutputsRunRequest);
    return this.#runOrStream({ method: 'POST', path, body: { json: body } }, request.submitToolOutputsRunRequest.stream, options);
  }

  submitToolOutputsToRun(
    request: AssistantsApiSubmitToolOuputsToRunRequest & { submitToolOutputsRunRequest: Streamed },
    options?: RequestOptions,
  ): Promise<AssistantStream>;
  submitToolOutputsToRun(
    request: AssistantsApiSubmitToolOuputsToRunRequest & { submitToolOutputsRunRequest: NotStreamed },
    options?: RequestOptions,
  ): Promise<RunObject>;
  submitToolOutputsToRun(request: AssistantsApiSubmitToolOuputsToRunRequest, options?: RequestOptions): Promise<RunObject | AssistantStream>;
  submitToolOutputsToRun(request: AssistantsApiSubmitToolOuputsToRunRequest, options?: RequestOptions): Promise<RunObject | AssistantStream> {
    return this.submitToolOuputsToRun(request, options);
  }

  // ---- run steps ----

  async getRunStep(request: AssistantsApiGetRunStepRequest, options?: RequestOptions): Promise<RunStepObject> {
    const path = encodePath`/threads/${request.threadId}/runs/${request.runId}/steps/${request.stepId}`;
    return runStepFromWire(await this.#json<WireRunStep>({ method: 'GET', path }, options));
  }

  async listRunSteps(request: AssistantsApiListRunStepsRequest, options?: RequestOptions): Promise<ListRunStepsResponse> {
    const path = encodePath`/threads/${request.threadId}/runs/${request.runId}/steps`;
    const wire = await this.#json<WireList<WireRunStep>>({ method: 'GET', path, query: listQuery(request) }, options);
    return listFromWire(wire, runStepFromWire);
  }

  // ---- every page of a list ----

  iterateAssistants(request: AssistantsApiListAssistantsRequest = {}, options?: RequestOptions): CursorPaginator<AssistantsApiListAssistantsRequest, AssistantObject> {
    return new CursorPaginator((page) => this.listAssistants(page, options), request, this.#listing`/assistants`);
  }

  iterateAssistantFiles(
    request: AssistantsApiListAssistantFilesRequest,
    options?: RequestOptions,
  ): CursorPaginator<AssistantsApiListAssistantFilesRequest, AssistantFileObject> {
    return new CursorPaginator((page) => this.listAssistantFiles(page, options), request, this.#listing`/assistants/${request.assistantId}/files`);
  }

  iterateMessages(request: AssistantsApiListMessagesRequest, options?: RequestOptions): CursorPaginator<AssistantsApiListMessagesRequest, MessageObject> {
    return new CursorPaginator((page) => this.listMessages(page, options), request, this.#listing`/threads/${request.threadId}/messages`);
  }

  iterateMessageFiles(
    request: AssistantsApiListMessageFilesRequest,
    options?: RequestOptions,
  ): CursorPaginator<AssistantsApiListMessageFilesRequest, MessageFileObject> {
    return new CursorPaginator((page) => this.listMessageFiles(page, options), request, this.#listing`/threads/${request.threadId}/messages/${request.messageId}/files`);
  }

  iterateRuns(request: AssistantsApiListRunsRequest, options?: RequestOptions): CursorPaginator<AssistantsApiListRunsRequest, RunObject> {
    return new CursorPaginator((page) => this.listRuns(page, options), request, this.#listing`/threads/${request.threadId}/runs`);
  }

  iterateRunSteps(request: AssistantsApiListRunStepsRequest, options?: RequestOptions): CursorPaginator<AssistantsApiListRunStepsRequest, RunStepObject> {
    return new CursorPaginator((page) => this.listRunSteps(page, options), request, this.#listing`/threads/${request.threadId}/runs/${request.runId}/steps`);
  }

  // ---- internal ----

  /** Where a paginated listing reads from, for its errors. */
  #listing(strings: TemplateStringsArray, ...values: string[]): ListingSource {
    return { path: encodePath(strings, ...values), baseUrl: this.#baseUrl };
  }

  #json<W>(request: Omit<ApiRequest, 'beta'>, options: RequestOptions | undefined): Promise<W> {
    return this.#transport.json<W>({ ...request, beta: true }, options);
  }

  async #runOrStream(
    request: Omit<ApiRequest, 'beta'>,
    stream: boolean | null | undefined,
    options: RequestOptions | undefined,
  ): Promise<RunObject | AssistantStream> {
    if (!stream) return runFromWire(await this.#json<WireRun>(request, options));
    const chunks = await this.#transport.eventStream({ ...request, beta: true }, options);
    return new AssistantStream(chunks, { method: request.method, path: request.path, baseUrl: this.#baseUrl });
  }
}
