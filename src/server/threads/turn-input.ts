/**
 * What a model sees for one turn of a run, whichever model runs it (the stand-in or a
 * Chat Completions upstream): the instructions, the thread's messages after truncation,
 * the run's settings, and the results of the tool calls made earlier in the run.
 */
import type { Passage } from '../retrieval/retrieval.js';
import type { ResponseFormat, Tool, ToolChoice } from './objects.js';

/** A message as the model sees it. */
export interface ContextMessage {
  role: 'user' | 'assistant';
  text: string;
}

/** A tool call made earlier in the same run, with its result. Persisted with the run's progress. */
export interface ToolResult {
  type: 'function' | 'code_interpreter' | 'retrieval';
  name: string;
  /** What the model reads: a function's submitted output, code's logs, or the passages retrieved. */
  output: string;
  /** A function call's id and arguments, and the step that made it (the calls of one step were made together). */
  call_id?: string;
  arguments?: string;
  step_id?: string;
  /** What retrieval found, best first: the model cites passage N as `【N†source】`. */
  passages?: Passage[];
}

export interface ModelInput {
  assistantName: string;
  /** The run's model, as the assistant or the run names it. */
  model: string;
  temperature: number | null;
  /** The run's instructions followed by its additional instructions. */
  instructions: string;
  /** The messages left after truncation, oldest first. */
  messages: readonly ContextMessage[];
  tools: readonly Tool[];
  toolChoice: ToolChoice | null;
  responseFormat: ResponseFormat | null;
  toolResults: readonly ToolResult[];
  /** Completion tokens the run may still spend, or null for no limit. */
  completionBudget: number | null;
}

/** How a model counts the tokens of a text (the stand-in: words; a chat upstream: an estimate). */
export type TokenCounter = (text: string) => number;

/** The prompt tokens of a model input: instructions, messages and tool results. */
export function promptTokens(input: Pick<ModelInput, 'instructions' | 'messages' | 'toolResults'>, count: TokenCounter): number {
  return (
    count(input.instructions) +
    input.messages.reduce((sum, message) => sum + count(message.text), 0) +
    input.toolResults.reduce((sum, result) => sum + count(result.output), 0)
  );
}

/** The passages a reply may cite: what the run's retrieval found. */
export function citableSources(toolResults: readonly ToolResult[]): Passage[] {
  for (let index = toolResults.length - 1; index >= 0; index--) {
    const result = toolResults[index];
    if (result?.type === 'retrieval') return result.passages ?? [];
  }
  return [];
}

export function isJsonMode(format: ResponseFormat | null): boolean {
  return typeof format === 'object' && format !== null && format.type === 'json_object';
}
