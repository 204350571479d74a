/**
 * Wire shapes (snake_case, exactly as the official OpenAPI description has them) of the
 * thread, message, run and run-step objects the local server stores and returns.
 */

import type { AssistantTool } from '../routes/assistants.js';
import type { Metadata } from '../validate.js';
import type { FileCitation, FileCitationDelta } from './citations.js';

export type { Metadata };

/** A tool as assistants and runs carry it. */
export type Tool = AssistantTool;

export interface TruncationStrategy {
  type: 'auto' | 'last_messages';
  last_messages: number | null;
}

export type ToolChoice =
  | 'none'
  | 'auto'
  | { type: 'function'; function: { name: string } }
  | { type: 'code_interpreter' }
  | { type: 'retrieval' };

export type ResponseFormat = 'none' | 'auto' | { type: 'text' | 'json_object' };

export interface ThreadObject {
  id: string;
  object: 'thread';
  created_at: number;
  metadata: Metadata | null;
}

export interface TextContent {
  type: 'text';
  text: { value: string; annotations: FileCitation[] };
}

export type MessageStatus = 'in_progress' | 'incomplete' | 'completed';

export type MessageIncompleteReason = 'content_filter' | 'max_tokens' | 'run_cancelled' | 'run_expired' | 'run_failed';

export interface MessageObject {
  id: string;
  object: 'thread.message';
  created_at: number;
  thread_id: string;
  status: MessageStatus;
  incomplete_details: { reason: MessageIncompleteReason } | null;
  completed_at: number | null;
  incomplete_at: number | null;
  role: 'user' | 'assistant';
  content: TextContent[];
  assistant_id: string | null;
  run_id: string | null;
  file_ids: string[];
  metadata: Metadata | null;
}

export interface MessageFileObject {
  id: string;
  object: 'thread.message.file';
  created_at: number;
  message_id: string;
}

export type RunStatus =
  | 'queued'
  | 'in_progress'
  | 'requires_action'
  | 'cancelling'
  | 'cancelled'
  | 'failed'
  | 'completed'
  | 'expired';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface RequiredFunctionCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface RunObject {
  id: string;
  object: 'thread.run';
  created_at: number;
  thread_id: string;
  assistant_id: string;
  status: RunStatus;
  required_action: { type: 'submit_tool_outputs'; submit_tool_outputs: { tool_calls: RequiredFunctionCall[] } } | null;
  last_error: { code: 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt'; message: string } | null;
  expires_at: number | null;
  started_at: number | null;
  cancelled_at: number | null;
  failed_at: number | null;
  completed_at: number | null;
  incomplete_details: { reason: 'max_completion_tokens' | 'max_prompt_tokens' } | null;
  model: string;
  instructions: string;
  tools: Tool[];
  file_ids: string[];
  metadata: Metadata | null;
  usage: Usage | null;
  temperature: number | null;
  max_prompt_tokens: number | null;
  max_completion_tokens: number | null;
  truncation_strategy: TruncationStrategy | null;
  tool_choice: ToolChoice | null;
  response_format: ResponseFormat | null;
}

export type StepToolCall =
  | { id: string; type: 'function'; function: { name: string; arguments: string; output: string | null } }
  | {
      id: string;
      type: 'code_interpreter';
      code_interpreter: { input: string; outputs: Array<{ type: 'logs'; logs: string }> };
    }
  | { id: string; type: 'retrieval'; retrieval: Record<string, never> };

export type StepDetails =
  | { type: 'message_creation'; message_creation: { message_id: string } }
  | { type: 'tool_calls'; tool_calls: StepToolCall[] };

export type RunStepStatus = 'in_progress' | 'cancelled' | 'failed' | 'completed' | 'expired';

export interface RunStepObject {
  id: string;
  object: 'thread.run.step';
  created_at: number;
  assistant_id: string;
  thread_id: string;
  run_id: string;
  type: StepDetails['type'];
  status: RunStepStatus;
  step_details: StepDetails;
  last_error: { code: 'server_error' | 'rate_limit_exceeded'; message: string } | null;
  expired_at: number | null;
  cancelled_at: number | null;
  failed_at: number | null;
  completed_at: number | null;
  metadata: Metadata | null;
  usage: Usage | null;
}

export interface MessageDeltaObject {
  id: string;
  object: 'thread.message.delta';
  delta: { content: Array<{ index: number; type: 'text'; text: { value: string; annotations: FileCitationDelta[] } }> };
}

/** A piece of a tool call in a step delta: string fields are appended to what came before. */
export interface StepToolCallDelta {
  index: number;
  id?: string;
  type: StepToolCall['type'];
  function?: { name?: string; arguments?: string; output?: string | null };
  code_interpreter?: { input?: string; outputs?: Array<{ type: 'logs'; logs: string }> };
  retrieval?: Record<string, never>;
}

export interface RunStepDeltaObject {
  id: string;
  object: 'thread.run.step.delta';
  delta: { step_details: { type: 'tool_calls'; tool_calls: StepToolCallDelta[] } };
}

/** Run statuses after which nothing more happens to a run. */
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['cancelled', 'failed', 'completed', 'expired']);

/** A run in one of these statuses blocks new messages and new runs on its thread. */
export function isActiveRun(run: RunObject): boolean {
  return !TERMINAL_RUN_STATUSES.has(run.status);
}
