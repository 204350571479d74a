import type { Tool } from './objects.js';
import { MAX_SAMPLE_SIZE, SampleTooLargeError, sampleFromSchema } from './schema-sample.js';
import { isJsonMode, promptTokens, type ContextMessage, type ModelInput, type ToolResult } from './turn-input.js';

/**
 * The deterministic stand-in model that executes runs (documented in
 * docs/stand-in-model.md). Pure: the same input always gives the same turn. Retrieval is
 * not its choice: the engine retrieves before it runs (retrieval-step.ts), and it quotes
 * and cites what was found.
 */

export type PlannedToolCall =
  | { type: 'function'; name: string; arguments: string }
  | { type: 'code_interpreter'; input: string; logs: string };

export type ModelTurn =
  | { type: 'tool_calls'; calls: PlannedToolCall[]; promptTokens: number; completionTokens: number }
  | { type: 'message'; text: string; incomplete: boolean; promptTokens: number; completionTokens: number };

/** Tokens, as the stand-in counts them: whitespace-separated words. */
export function countTokens(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

export function runModel(input: ModelInput): ModelTurn {
  const prompt = promptTokens(input, countTokens);
  // One round of function or code calls per run; what retrieval found does not count.
  const calls = input.toolResults.some((result) => result.type !== 'retrieval') ? [] : chooseToolCalls(input);
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
      return [];
  }
}

function callText(call: PlannedToolCall): string {
  switch (call.type) {
    case 'function':
      return `${call.name} ${call.arguments}`;
    case 'code_interpreter':
      return call.input;
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
  for (const result of input.toolResults) {
    if (result.type === 'retrieval') lines.push(...retrievalLines(result));
    else lines.push(`${result.name} returned: ${result.output}`);
  }
  const seen = input.messages.length;
  lines.push(`I read ${seen} message${seen === 1 ? '' : 's'}.`);
  return lines.join('\n');
}

/** How many of the passages retrieval found the stand-in quotes. */
const CITED_PASSAGES = 3;

/** The passages cited (at most `CITED_PASSAGES`), one line each, or a line saying nothing was found. */
function retrievalLines(result: ToolResult): string[] {
  const passages = result.passages ?? [];
  if (passages.length === 0) return ['retrieval found nothing in the attached files.'];
  return passages.slice(0, CITED_PASSAGES).map((passage, index) => `${passage.filename} says: "${passage.quote}" 【${index + 1}†source】`);
}

/** The text up to and including its `count`-th word, or null when it has no more words than that. */
function firstWords(text: string, count: number): string | null {
  const words = [...text.matchAll(/\S+/g)];
  if (words.length <= count) return null;
  const last = words[count - 1];
  return last === undefined ? '' : text.slice(0, (last.index ?? 0) + last[0].length);
}
