/**
 * Internal: the snake_case shapes on the wire, as `docs/reference/openai-openapi-assistants-v1.yaml` describes them.
 * Only the mappers use these; nothing outside src/api sees them.
 */
import type { Metadata } from './models.js';
import type { JsonObject, JsonValue } from '../json.js';

export interface WireTool {
  type: string;
  [field: string]: JsonValue | undefined;
}

export interface WireList<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface WireAssistant {
  id: string;
  object: 'assistant';
  created_at: number;
  name: string | null;
  description: string | null;
  model: string;
  instructions: string | null;
  tools: WireTool[];
  file_ids: string[];
  metadata: Metadata | null;
}

export interface WireDeleted<O extends string> {
  id: string;
  object: O;
  deleted: boolean;
}

export interface WireAssistantFile {
  id: string;
  object: 'assistant.file';
  created_at: number;
  assistant_id: string;
}

export interface WireFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: 'assistants' | 'assistants_output' | 'fine-tune' | 'fine-tune-results';
  status: 'uploaded' | 'processed' | 'error';
  status_details?: string | null;
}

export interface WireFileList {
  object: 'list';
  data: WireFile[];
}

export interface WireThread {
  id: string;
  object: 'thread';
  created_at: number;
  metadata: Metadata | null;
}

/** A tagged object (content part, annotation, tool call, step details) before mapping. */
export type WirePart = JsonObject & { type: string };

export interface WireMessage {
  id: string;
  object: 'thread.message';
  created_at: number;
  thread_id: string;
  status: 'in_progress' | 'incomplete' | 'completed';
  incomplete_details: { reason: 'content_filter' | 'max_tokens' | 'run_cancelled' | 'run_expired' | 'run_failed' } | null;
  completed_at: number | null;
  incomplete_at: number | null;
  role: 'user' | 'assistant';
  content: WirePart[];
  assistant_id: string | null;
  run_id: string | null;
  file_ids: string[];
  metadata: Metadata | null;
}

export interface WireMessageFile {
  id: string;
  object: 'thread.message.file';
  created_at: number;
  message_id: string;
}

export interface WireUsage {
  completion_tokens: number;
  prompt_tokens: number;
  total_tokens: number;
}

export interface WireRun {
  id: string;
  object: 'thread.run';
  created_at: number;
  thread_id: string;
  assistant_id: string;
  status: 'queued' | 'in_progress' | 'requires_action' | 'cancelling' | 'cancelled' | 'failed' | 'completed' | 'expired';
  required_action: {
    type: 'submit_tool_outputs';
    submit_tool_outputs: { tool_calls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> };
  } | null;
  last_error: { code: 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt'; message: string } | null;
  expires_at: number | null;
  started_at: number | null;
  cancelled_at: number | null;
  failed_at: number | null;
  completed_at: number | null;
  incomplete_details: { reason: 'max_completion_tokens' | 'max_prompt_tokens' } | null;
  model: string;
  instructions: string;
  tools: WireTool[];
  file_ids: string[];
  metadata: Metadata | null;
  usage: WireUsage | null;
  temperature?: number | null;
  max_prompt_tokens: number | null;
  max_completion_tokens: number | null;
  truncation_strategy: { type: 'auto' | 'last_messages'; last_messages?: number | null } | null;
  tool_choice: 'none' | 'auto' | { type: 'function' | 'code_interpreter' | 'retrieval'; function?: { name: string } } | null;
  response_format: 'none' | 'auto' | { type: 'text' | 'json_object' } | null;
}

export interface WireRunStep {
  id: string;
  object: 'thread.run.step';
  created_at: number;
  assistant_id: string;
  thread_id: string;
  run_id: string;
  type: 'message_creation' | 'tool_calls';
  status: 'in_progress' | 'cancelled' | 'failed' | 'completed' | 'expired';
  step_details: WirePart;
  last_error: { code: 'server_error' | 'rate_limit_exceeded'; message: string } | null;
  expired_at: number | null;
  cancelled_at: number | null;
  failed_at: number | null;
  completed_at: number | null;
  metadata: Metadata | null;
  usage: WireUsage | null;
}

export interface WireMessageDelta {
  id: string;
  object: 'thread.message.delta';
  delta: { role?: 'user' | 'assistant'; content?: WirePart[]; file_ids?: string[] };
}

export interface WireRunStepDelta {
  id: string;
  object: 'thread.run.step.delta';
  delta: { step_details?: WirePart };
}

export interface WireErrorBody {
  error?: { message?: string; type?: string; param?: string | null; code?: string | null };
}

// ---- tagged parts, by type (asserted after switching on `type`) --------------------

export interface WireFunction {
  name: string;
  description?: string;
  parameters?: JsonObject;
}

export interface WireTextPart {
  type: 'text';
  text: { value: string; annotations: WirePart[] };
}
export interface WireImageFilePart {
  type: 'image_file';
  image_file: { file_id: string };
}
export interface WireAnnotation {
  type: 'file_citation' | 'file_path';
  text: string;
  file_citation?: { file_id: string; quote: string };
  file_path?: { file_id: string };
  start_index: number;
  end_index: number;
}
export interface WireMessageCreationDetails {
  type: 'message_creation';
  message_creation: { message_id: string };
}
export interface WireToolCallsDetails {
  type: 'tool_calls';
  tool_calls: WirePart[];
}
export interface WireCodeInterpreterCall {
  id: string;
  type: 'code_interpreter';
  code_interpreter: { input: string; outputs: WirePart[] };
}
export interface WireFunctionCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string; output: string | null };
}
export interface WireRetrievalCall {
  id: string;
  type: 'retrieval';
  retrieval: JsonObject;
}

// ---- delta parts (every field but `index` and `type` optional) --------------------

export interface WireDeltaTextPart {
  index: number;
  type: 'text';
  text?: { value?: string; annotations?: WirePart[] };
}
export interface WireDeltaImageFilePart {
  index: number;
  type: 'image_file';
  image_file?: { file_id?: string };
}
export interface WireDeltaAnnotation {
  index: number;
  type: 'file_citation' | 'file_path';
  text?: string;
  file_citation?: { file_id?: string; quote?: string };
  file_path?: { file_id?: string };
  start_index?: number;
  end_index?: number;
}
export interface WireDeltaToolCall {
  index: number;
  id?: string;
  type: 'code_interpreter' | 'retrieval' | 'function';
  code_interpreter?: {
    input?: string;
    outputs?: Array<{ index: number; type: 'logs' | 'image'; logs?: string; image?: { file_id?: string } }>;
  };
  retrieval?: JsonObject;
  function?: { name?: string; arguments?: string; output?: string | null };
}
