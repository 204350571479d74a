/**
 * A run's turn as a Chat Completions request (`CreateChatCompletionRequest`): one system
 * message (the run's instructions and additional instructions, then what retrieval found,
 * numbered for citation), the thread's messages after truncation, then the function calls
 * made earlier in the run with their submitted outputs; the run's function tools,
 * `tool_choice`, `response_format`, `temperature`, and `max_tokens` for what is left of
 * `max_completion_tokens`. Always streamed.
 */
import type { Passage } from '../retrieval/retrieval.js';
import { isJsonMode, type ModelInput, type ToolResult } from '../threads/turn-input.js';

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: 'none' | { type: 'function'; function: { name: string } };
  response_format?: { type: 'json_object' };
  max_tokens?: number;
  temperature?: number;
  stream: true;
  /** Asks for the usage in the last chunk; dropped for a server that refuses it (chat-client.ts). */
  stream_options?: { include_usage: true };
}

/** Characters of thread messages sent at most, newest kept: a bound on the request, whatever the thread holds. */
export const MAX_PROMPT_CHARS = 2_000_000;

/** Tokens as a chat upstream counts them, estimated: about four characters each. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function chatRequest(input: ModelInput, model: string): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const system = systemMessage(input);
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const message of newestWithin(input.messages, MAX_PROMPT_CHARS)) {
    if (message.text === '') continue;
    messages.push(message.role === 'user' ? { role: 'user', content: message.text } : { role: 'assistant', content: message.text });
  }
  messages.push(...functionCallMessages(input.toolResults));
  // The API needs at least one message; an empty thread without instructions has none.
  if (messages.length === 0) messages.push({ role: 'system', content: '' });

  const request: ChatCompletionRequest = { model, messages, stream: true, stream_options: { include_usage: true } };
  const tools = input.tools.flatMap((tool): ChatTool[] =>
    tool.type === 'function' ? [{ type: 'function', function: { ...tool.function } }] : [],
  );
  if (tools.length > 0) {
    request.tools = tools;
    const choice = input.toolChoice;
    if (choice === 'none') request.tool_choice = 'none';
    else if (typeof choice === 'object' && choice !== null && choice.type === 'function') {
      // Forced once: after its output the model answers.
      if (!input.toolResults.some((result) => result.type === 'function')) request.tool_choice = { type: 'function', function: { name: choice.function.name } };
    }
  }
  if (isJsonMode(input.responseFormat)) request.response_format = { type: 'json_object' };
  if (input.completionBudget !== null) request.max_tokens = Math.max(1, input.completionBudget);
  if (input.temperature !== null) request.temperature = input.temperature;
  return request;
}

function newestWithin<T extends { text: string }>(messages: readonly T[], maxChars: number): readonly T[] {
  let chars = 0;
  let first = messages.length;
  while (first > 0) {
    chars += (messages[first - 1] as T).text.length;
    if (chars > maxChars && first < messages.length) break;
    first--;
  }
  return messages.slice(first);
}

function systemMessage(input: ModelInput): string {
  const parts = input.instructions.trim() === '' ? [] : [input.instructions];
  for (const result of input.toolResults) {
    if (result.type === 'retrieval') parts.push(retrievalContext(result.passages ?? []));
  }
  return parts.join('\n\n');
}

function retrievalContext(passages: readonly Passage[]): string {
  if (passages.length === 0) return 'The files attached to this conversation were searched for the last user message; nothing in them matched.';
  const intro =
    'These passages were found in the files attached to this conversation for the last user message. Use them where they answer it, ' +
    'and cite each passage you use with its marker, such as 【1†source】, right after the sentence it supports.';
  const listed = passages.map((passage, index) => `【${index + 1}†source】 from ${passage.filename}:\n${passage.text}`);
  return [intro, ...listed].join('\n\n');
}

/** The function calls of earlier turns: one assistant message per step, then each call's output. */
function functionCallMessages(results: readonly ToolResult[]): ChatMessage[] {
  const steps = new Map<string, ToolResult[]>();
  for (const result of results) {
    if (result.type !== 'function' || result.call_id === undefined) continue;
    const key = result.step_id ?? result.call_id;
    steps.set(key, [...(steps.get(key) ?? []), result]);
  }
  const messages: ChatMessage[] = [];
  for (const calls of steps.values()) {
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: calls.map((call) => ({
        id: call.call_id as string,
        type: 'function',
        function: { name: call.name, arguments: call.arguments ?? '{}' },
      })),
    });
    for (const call of calls) messages.push({ role: 'tool', tool_call_id: call.call_id as string, content: call.output });
  }
  return messages;
}
