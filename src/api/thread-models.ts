/**
 * The client's public model types for threads, messages, message files, runs and run
 * steps. camelCase as in the seed; the mappers translate to and from the wire. User
 * data (metadata, function parameters, tool arguments and outputs) is never renamed.
 */
import type { AssistantTool, ListResponse, Metadata, UnknownTool } from './models.js';
import type { JsonValue } from '../json.js';

// ---- threads ---------------------------------------------------------------------

export interface ThreadObject {
  id: string;
  object: 'thread';
  createdAt: number;
  metadata: Metadata | null;
}

export interface CreateThreadRequest {
  messages?: CreateMessageRequest[];
  metadata?: Metadata | null;
}

export interface ModifyThreadRequest {
  metadata?: Metadata | null;
}

export interface DeleteThreadResponse {
  id: string;
  object: 'thread.deleted';
  deleted: boolean;
}

// ---- messages --------------------------------------------------------------------

export interface CreateMessageRequest {
  role: 'user' | 'assistant';
  content: string;
  fileIds?: string[];
  metadata?: Metadata | null;
}

export interface ModifyMessageRequest {
  metadata?: Metadata | null;
}

export interface FileCitationAnnotation {
  type: 'file_citation';
  text: string;
  fileCitation: { fileId: string; quote: string };
  startIndex: number;
  endIndex: number;
}

export interface FilePathAnnotation {
  type: 'file_path';
  text: string;
  filePath: { fileId: string };
  startIndex: number;
  endIndex: number;
}

/** A content part or annotation of a type this client does not know, kept as received. */
export interface UnknownPart {
  type: string;
  [field: string]: JsonValue | undefined;
}

export type TextAnnotation = FileCitationAnnotation | FilePathAnnotation;

export interface MessageContentText {
  type: 'text';
  text: { value: string; annotations: Array<TextAnnotation | UnknownPart> };
}

export interface MessageContentImageFile {
  type: 'image_file';
  imageFile: { fileId: string };
}

export type MessageContent = MessageContentText | MessageContentImageFile;

export type MessageIncompleteReason = 'content_filter' | 'max_tokens' | 'run_cancelled' | 'run_expired' | 'run_failed';

export interface MessageObject {
  id: string;
  object: 'thread.message';
  createdAt: number;
  threadId: string;
  status: 'in_progress' | 'incomplete' | 'completed';
  incompleteDetails: { reason: MessageIncompleteReason } | null;
  completedAt: number | null;
  incompleteAt: number | null;
  role: 'user' | 'assistant';
  content: Array<MessageContent | UnknownPart>;
  assistantId: string | null;
  runId: string | null;
  fileIds: string[];
  metadata: Metadata | null;
}

export type ListMessagesResponse = ListResponse<MessageObject>;

export interface MessageFileObject {
  id: string;
  object: 'thread.message.file';
  createdAt: number;
  messageId: string;
}

export type ListMessageFilesResponse = ListResponse<MessageFileObject>;

// ---- runs ------------------------------------------------------------------------

export type RunStatus =
  | 'queued'
  | 'in_progress'
  | 'requires_action'
  | 'cancelling'
  | 'cancelled'
  | 'failed'
  | 'completed'
  | 'expired';

export interface TruncationStrategy {
  type: 'auto' | 'last_messages';
  lastMessages?: number | null;
}

export interface NamedToolChoice {
  type: 'function' | 'code_interpreter' | 'retrieval';
  function?: { name: string };
}
export type ToolChoice = 'none' | 'auto' | NamedToolChoice;

export type ResponseFormat = 'none' | 'auto' | { type: 'text' | 'json_object' };

export interface RunToolCall {
  id: string;
  type: 'function';
  /** `arguments` is the JSON text the model produced, passed through as is. */
  function: { name: string; arguments: string };
}

export interface RequiredAction {
  type: 'submit_tool_outputs';
  submitToolOutputs: { toolCalls: RunToolCall[] };
}

export interface Usage {
  completionTokens: number;
  promptTokens: number;
  totalTokens: number;
}

export interface RunLastError {
  code: 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt';
  message: string;
}

export interface RunObject {
  id: string;
  object: 'thread.run';
  createdAt: number;
  threadId: string;
  assistantId: string;
  status: RunStatus;
  requiredAction: RequiredAction | null;
  lastError: RunLastError | null;
  expiresAt: number | null;
  startedAt: number | null;
  cancelledAt: number | null;
  failedAt: number | null;
  completedAt: number | null;
  incompleteDetails: { reason: 'max_completion_tokens' | 'max_prompt_tokens' } | null;
  model: string;
  instructions: string;
  tools: Array<AssistantTool | UnknownTool>;
  fileIds: string[];
  metadata: Metadata | null;
  usage: Usage | null;
  temperature?: number | null;
  maxPromptTokens: number | null;
  maxCompletionTokens: number | null;
  truncationStrategy: TruncationStrategy | null;
  toolChoice: ToolChoice | null;
  responseFormat: ResponseFormat | null;
}

export type ListRunsResponse = ListResponse<RunObject>;

/** The run fields shared by `createRun` and `createThreadAndRun`. */
interface RunOptionsRequest {
  assistantId: string;
  model?: string | null;
  instructions?: string | null;
  tools?: AssistantTool[] | null;
  metadata?: Metadata | null;
  temperature?: number | null;
  stream?: boolean | null;
  maxPromptTokens?: number | null;
  maxCompletionTokens?: number | null;
  truncationStrategy?: TruncationStrategy | null;
  toolChoice?: ToolChoice | null;
  responseFormat?: ResponseFormat | null;
}

export interface CreateRunRequest extends RunOptionsRequest {
  additionalInstructions?: string | null;
  additionalMessages?: CreateMessageRequest[] | null;
}

export interface CreateThreadAndRunRequest extends RunOptionsRequest {
  thread?: CreateThreadRequest;
}

export interface ModifyRunRequest {
  metadata?: Metadata | null;
}

export interface ToolOutput {
  toolCallId?: string;
  output?: string;
}

export interface SubmitToolOutputsRunRequest {
  toolOutputs: ToolOutput[];
  stream?: boolean | null;
}

// ---- run steps -------------------------------------------------------------------

export interface CodeInterpreterLogsOutput {
  type: 'logs';
  logs: string;
}
export interface CodeInterpreterImageOutput {
  type: 'image';
  image: { fileId: string };
}

export interface CodeInterpreterToolCall {
  id: string;
  type: 'code_interpreter';
  codeInterpreter: { input: string; outputs: Array<CodeInterpreterLogsOutput | CodeInterpreterImageOutput | UnknownPart> };
}
export interface RetrievalToolCall {
  id: string;
  type: 'retrieval';
  retrieval: { [key: string]: JsonValue };
}
export interface FunctionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string; output: string | null };
}
export type StepToolCall = CodeInterpreterToolCall | RetrievalToolCall | FunctionToolCall;

export interface MessageCreationStepDetails {
  type: 'message_creation';
  messageCreation: { messageId: string };
}
export interface ToolCallsStepDetails {
  type: 'tool_calls';
  toolCalls: Array<StepToolCall | UnknownPart>;
}

export interface RunStepObject {
  id: string;
  object: 'thread.run.step';
  createdAt: number;
  assistantId: string;
  threadId: string;
  runId: string;
  type: 'message_creation' | 'tool_calls';
  status: 'in_progress' | 'cancelled' | 'failed' | 'completed' | 'expired';
  stepDetails: MessageCreationStepDetails | ToolCallsStepDetails | UnknownPart;
  lastError: { code: 'server_error' | 'rate_limit_exceeded'; message: string } | null;
  expiredAt: number | null;
  cancelledAt: number | null;
  failedAt: number | null;
  completedAt: number | null;
  metadata: Metadata | null;
  usage: Usage | null;
}

export type ListRunStepsResponse = ListResponse<RunStepObject>;
