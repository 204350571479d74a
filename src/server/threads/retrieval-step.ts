/**
 * When a run retrieves, and what: the run's `retrieval` tool searches the files of the
 * conversation (the run's `file_ids`, which are its assistant's, and every file attached to
 * a message of the thread) for the last user message, once per run, before the model
 * answers. With `tool_choice: "auto"` it does so when one of those files is indexed; with
 * `{"type": "retrieval"}` always; with `"none"` or another forced tool never. The same
 * for the stand-in and a chat upstream (docs/retrieval.md).
 */
import type { Retrieval } from '../retrieval/retrieval.js';
import type { StoreReader } from '../store/store.js';
import type { RunProgress } from './data.js';
import type { MessageObject, RunObject } from './objects.js';
import { messageText } from './conversation.js';
import type { ToolResult } from './turn-input.js';

/** Passages given to the model at most. */
const MAX_PASSAGES = 5;
/** Characters of passages given to the model at most (about 2,000 tokens)... */
const MAX_CONTEXT_CHARS = 8000;
/** ...and at most this share of `max_prompt_tokens` (at four characters a token). */
const PROMPT_SHARE = 0.5;

function conversationFiles(run: RunObject, messages: readonly MessageObject[]): string[] {
  return [...new Set([...run.file_ids, ...messages.flatMap((message) => message.file_ids)])];
}

function lastUserText(messages: readonly MessageObject[]): string | null {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role === 'user') return messageText(message);
  }
  return null;
}

export async function retrievalDue(
  reader: StoreReader,
  run: RunObject,
  progress: RunProgress,
  messages: readonly MessageObject[],
  retrieval: Retrieval,
): Promise<boolean> {
  if (!run.tools.some((tool) => tool.type === 'retrieval')) return false;
  if ([...progress.tool_results, ...progress.pending_results].some((result) => result.type === 'retrieval')) return false;
  const choice = run.tool_choice ?? 'auto';
  if (choice === 'none') return false;
  if (typeof choice === 'object') return choice.type === 'retrieval';
  return lastUserText(messages) !== null && (await retrieval.searchable(conversationFiles(run, messages), reader)).length > 0;
}

/** Searches the conversation's files for the last user message. */
export async function retrieve(reader: StoreReader, run: RunObject, messages: readonly MessageObject[], retrieval: Retrieval): Promise<ToolResult> {
  const query = lastUserText(messages) ?? '';
  const budget = run.max_prompt_tokens === null ? MAX_CONTEXT_CHARS : Math.min(MAX_CONTEXT_CHARS, run.max_prompt_tokens * 4 * PROMPT_SHARE);
  const files = await retrieval.searchable(conversationFiles(run, messages), reader);
  const passages = query === '' ? [] : retrieval.search(query, files, { passages: MAX_PASSAGES, chars: budget });
  return {
    type: 'retrieval',
    name: 'retrieval',
    output: passages.map((passage) => passage.text).join('\n\n'),
    passages,
  };
}
