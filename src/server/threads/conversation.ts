import type { MessageObject, RunObject } from './objects.js';
import { promptTokens, type ContextMessage, type ModelInput, type TokenCounter, type ToolResult } from './turn-input.js';

/**
 * What a model sees of a thread for one turn of a run: the messages after the run's
 * truncation strategy, and the completion tokens the run may still spend.
 */

export interface TurnState {
  toolResults: readonly ToolResult[];
  /** Completion tokens spent by earlier turns of the same run. */
  completionTokensUsed: number;
  /** How the model behind the run counts tokens. */
  countTokens: TokenCounter;
}

export type ConversationResult = { ok: true; input: ModelInput } | { ok: false; reason: 'max_prompt_tokens' };

export function messageText(message: MessageObject): string {
  return message.content.map((part) => part.text.value).join('\n');
}

/**
 * `last_messages` keeps the newest N messages; otherwise (`auto`), with `max_prompt_tokens`
 * set, the oldest messages are dropped until the prompt fits. When even the newest message
 * does not fit, the run cannot proceed (`max_prompt_tokens`).
 */
export function buildConversation(
  run: RunObject,
  assistantName: string,
  threadMessages: readonly MessageObject[],
  state: TurnState,
): ConversationResult {
  let messages: ContextMessage[] = threadMessages.map((message) => ({ role: message.role, text: messageText(message) }));
  const truncation = run.truncation_strategy;
  if (truncation?.type === 'last_messages' && truncation.last_messages !== null) {
    messages = messages.slice(-truncation.last_messages);
  }
  const limit = run.max_prompt_tokens;
  if (limit !== null) {
    const tokens = (list: ContextMessage[]): number =>
      promptTokens({ instructions: run.instructions, messages: list, toolResults: state.toolResults }, state.countTokens);
    while (messages.length > 1 && tokens(messages) > limit) messages = messages.slice(1);
    if (tokens(messages) > limit) return { ok: false, reason: 'max_prompt_tokens' };
  }
  const budget = run.max_completion_tokens === null ? null : Math.max(0, run.max_completion_tokens - state.completionTokensUsed);
  return {
    ok: true,
    input: {
      assistantName,
      model: run.model,
      temperature: run.temperature,
      instructions: run.instructions,
      messages,
      tools: run.tools,
      toolChoice: run.tool_choice,
      responseFormat: run.response_format,
      toolResults: state.toolResults,
      completionBudget: budget,
    },
  };
}
