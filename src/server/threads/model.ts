import type { ResponseFormat, Tool, ToolChoice } from './objects.js';
import { MAX_SAMPLE_SIZE, SampleTooLargeError, sampleFromSchema } from './schema-sample.js';

/**
 * The deterministic stand-in model that executes runs (documented in
 * docs/stand-in-model.md). Pure: the same input always gives the same turn.
 */

/** A message as the model sees it. */
export interface ContextMessage {
  role: 'user' | 'assistant';
  text: string;
}

/** A tool call made earlier in the same run, with its result. */
export interface ToolResult {
  type: 'function' | 'code_interpreter' | 'retrieval';
  name: string;
  output: string;
}

export interface ModelInput {
  assistantName: string;
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

export type PlannedToolCall =
  | { type: 'function'; name: string; arguments: string }
  | { type: 'code_interpreter'; input: string; logs: string }
  | { type: 'retrieval' };

export type ModelTurn =
  | { type: 'tool_calls'; calls: PlannedToolCall[]; promptTokens: number; completionTokens: number }
  | { type: 'message'; text: string; incomplete: boolean; promptTokens: number; completionTokens: number };

/** Tokens, as the stand-in counts them: whitespace-separated words. */
export function countTokens(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** The prompt tokens of a model input: instructions, messages and tool results. */
export function promptTokens(input: Pick<ModelInput, 'instructions' | 'messages' | 'toolResults'>): number {
  return (
    countTokens(input.instructions) +
    input.messages.reduce((sum, message) => sum + countTokens(message.text), 0) +
    input.toolResults.reduce((sum, result) => sum + countTokens(result.output), 0)
  );
}

export function runModel(input: ModelInput): ModelTurn {
  const prompt = promptTokens(input);
  const calls = input.toolResults.length > 0 ? [] : chooseToolCalls(input);
  if (calls.length > 0) {
    const completion = calls.reduce((sum, call) => sum + countTokens(callText(call)), 0);
    return { type: 'tool_calls', calls, promptTokens: prompt, completionTokens: completion };
  }
  const full = composeReply(input);
  const cut = input.completionBudget === null ? null : firstWords(full, input.completionBudget);
  const text = cut ?? full;
  return { type: 'message', text, incomplete: cut !== null, promptTokens: prompt, completionTokens: countTokens(text) };
}

function lastUserMessage(messages: readonly ContextMessage[]): string | null {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.role === 'user') return message.text;
  }
  return null;
}

function functionTools(tools: readonly Tool[]): Array<Extract<Tool, { type: 'function' }>> {
  return tools.filter((tool): tool is Extract<Tool, { type: 'function' }> => tool.type === 'function');
}

/** A run the stand-in model cannot answer as asked: the run fails with `invalid_prompt` and this message. */
export class UnanswerableRunError extends Error {
  override readonly name = 'UnanswerableRunError';
}

function functionCall(tool: Extract<Tool, { type: 'function' }>): PlannedToolCall {
  const parameters = tool.function.parameters ?? { type: 'object', properties: {} };
  let args: unknown;
  try {
    args = sampleFromSchema(parameters);
  } catch (error) {
    if (!(error instanceof SampleTooLargeError)) throw error;
    throw new UnanswerableRunError(
      `The arguments of function '${tool.function.name}' would be larger than the ${MAX_SAMPLE_SIZE} characters the stand-in model writes: lower the minItems or minLength its parameters ask for.`,
    );
  }
  return { type: 'function', name: tool.function.name, arguments: JSON.stringify(args) };
}

function namesWord(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`).test(text);
}

function chooseToolCalls(input: ModelInput): PlannedToolCall[] {
  const choice = input.toolChoice ?? 'auto';
  const question = lastUserMessage(input.messages) ?? '';
  if (choice === 'none') return [];
  if (choice === 'auto') {
    return functionTools(input.tools)
      .filter((tool) => namesWord(question, tool.function.name))
      .map(functionCall);
  }
  switch (choice.type) {
    case 'function': {
      const tool = functionTools(input.tools).find((candidate) => candidate.function.name === choice.function.name);
      return tool === undefined ? [] : [functionCall(tool)];
    }
    case 'code_interpreter':
      return [{ type: 'code_interpreter', input: `print(${JSON.stringify(question)})`, logs: question }];
    case 'retrieval':
      return [{ type: 'retrieval' }];
  }
}

function callText(call: PlannedToolCall): string {
  switch (call.type) {
    case 'function':
      return `${call.name} ${call.arguments}`;
    case 'code_interpreter':
      return call.input;
    case 'retrieval':
      return 'retrieval';
  }
}

function composeReply(input: ModelInput): string {
  const question = lastUserMessage(input.messages);
  const instructions = input.instructions.trim();
  if (isJsonMode(input.responseFormat)) {
    return JSON.stringify({
      assistant: input.assistantName,
      instructions,
      last_user_message: question,
      tool_outputs: input.toolResults.map((result) => ({ name: result.name, output: result.output })),
      messages_seen: input.messages.length,
    });
  }
  const lines = [`This is ${input.assistantName}.`];
  if (instructions !== '') lines.push(`My instructions: ${instructions}`);
  lines.push(question === null ? 'There is no user message to answer.' : `You said: "${question}"`);
  for (const result of input.toolResults) lines.push(`${result.name} returned: ${result.output}`);
  const seen = input.messages.length;
  lines.push(`I read ${seen} message${seen === 1 ? '' : 's'}.`);
  return lines.join('\n');
}

function isJsonMode(format: ResponseFormat | null): boolean {
  return typeof format === 'object' && format !== null && format.type === 'json_object';
}

/** The text up to and including its `count`-th word, or null when it has no more words than that. */
function firstWords(text: string, count: number): string | null {
  const words = [...text.matchAll(/\S+/g)];
  if (words.length <= count) return null;
  const last = words[count - 1];
  return last === undefined ? '' : text.slice(0, (last.index ?? 0) + last[0].length);
}
