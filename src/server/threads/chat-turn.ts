/**
 * One turn of a run on a Chat Completions upstream: the request is sent, and what streams
 * back is relayed as it arrives. Text opens the run's message (a `message_creation` step,
 * then `thread.message.delta` events, citations included); tool calls open a `tool_calls`
 * step (ending a message written before them) and stream as `thread.run.step.delta`
 * events. The engine ends the turn from its result: the message completed, or the run
 * waiting for tool outputs. A call the run cannot make (a function it does not have,
 * arguments that are not JSON) fails the turn with an UpstreamError.
 */
import { ID_PREFIX, newId } from '../ids.js';
import { chatRequest, estimateTokens } from '../upstream/chat-request.js';
import { UpstreamError, type ChatClient } from '../upstream/chat-client.js';
import type { ResolvedChatModel } from '../upstream/chat-model-options.js';
import { upstreamModel } from '../upstream/chat-model-options.js';
import type { FinishReason, ToolCallChunk } from '../upstream/chat-response.js';
import { CitationWriter, storedCitation, type CitedPiece, type FileCitation } from './citations.js';
import type { MessageIncompleteReason, RunObject, Usage } from './objects.js';
import type { RunRecords } from './run-records.js';
import { citableSources, isJsonMode, type ModelInput } from './turn-input.js';

export interface PlannedFunctionCall {
  id: string;
  name: string;
  arguments: string;
}

export type ChatTurnResult =
  | { type: 'message'; messageId: string; stepId: string; incomplete: MessageIncompleteReason | null; usage: Usage }
  | { type: 'tool_calls'; stepId: string; calls: PlannedFunctionCall[]; usage: Usage };

/** How often, at most, the text being written is stored (every piece is streamed at once). */
const STORE_TEXT_EVERY_MS = 250;

interface OpenMessage {
  id: string;
  stepId: string;
  text: string;
  annotations: FileCitation[];
  storedAt: number;
}

interface CallInProgress {
  id: string;
  name: string;
  arguments: string;
  announced: boolean;
}

const INCOMPLETE_BY_FINISH: Partial<Record<FinishReason, MessageIncompleteReason>> = {
  length: 'max_tokens',
  content_filter: 'content_filter',
};

export class ChatTurn {
  readonly #citations: CitationWriter;
  #message: OpenMessage | null = null;
  /** Whitespace before the first visible text: kept only if a message follows. */
  #leading = '';
  #toolStep: { id: string; calls: Map<number, CallInProgress> } | null = null;

  constructor(
    private readonly records: RunRecords,
    private readonly client: ChatClient,
    private readonly model: ResolvedChatModel,
    private readonly run: RunObject,
    private readonly input: ModelInput,
  ) {
    this.#citations = new CitationWriter(isJsonMode(input.responseFormat) ? [] : citableSources(input.toolResults));
  }

  async execute(signal: AbortSignal): Promise<ChatTurnResult> {
    const request = chatRequest(this.input, upstreamModel(this.model, this.run.model));
    const outcome = await this.client.complete(
      request,
      { content: (text) => this.#onContent(text), toolCall: (chunk) => this.#onToolCall(chunk) },
      signal,
    );
    if (this.#toolStep === null) this.#write(this.#citations.finish());
    const usage = outcome.usage ?? {
      prompt_tokens: estimateTokens(JSON.stringify(request.messages)),
      completion_tokens: estimateTokens(this.#writtenText()),
    };
    const turnUsage: Usage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };

    if (this.#toolStep !== null) {
      return { type: 'tool_calls', stepId: this.#toolStep.id, calls: this.#checkedCalls(this.#toolStep.calls), usage: turnUsage };
    }
    const message = this.#message ?? this.#open();
    this.saveText();
    return { type: 'message', messageId: message.id, stepId: message.stepId, incomplete: INCOMPLETE_BY_FINISH[outcome.finishReason] ?? null, usage: turnUsage };
  }

  /** Stores the text of the message being written (before the run ends early, or when it is done). */
  saveText(): void {
    const message = this.#message;
    if (message === null) return;
    this.records.storeText(message.id, message.text, message.annotations);
    message.storedAt = Date.now();
  }

  #writtenText(): string {
    const calls = [...(this.#toolStep?.calls.values() ?? [])].map((call) => `${call.name} ${call.arguments}`);
    return [this.#message?.text ?? '', ...calls].join(' ');
  }

  #onContent(text: string): void {
    // Text after the tool calls (some models add a word) has no step to go to.
    if (this.#toolStep !== null) return;
    this.#write(this.#citations.push(text));
  }

  #write(piece: CitedPiece): void {
    if (piece.text === '') return;
    if (this.#message === null && piece.text.trim() === '') {
      this.#leading += piece.text;
      return;
    }
    const message = this.#message ?? this.#open();
    const text = this.#leading + piece.text;
    this.#leading = '';
    message.text += text;
    message.annotations.push(...piece.annotations.map(storedCitation));
    this.records.emitText(this.run.thread_id, message.id, { text, annotations: piece.annotations });
    if (Date.now() - message.storedAt >= STORE_TEXT_EVERY_MS) this.saveText();
  }

  #open(): OpenMessage {
    const { message, step } = this.records.startMessage(this.run);
    this.#message = { id: message.id, stepId: step.id, text: '', annotations: [], storedAt: Date.now() };
    return this.#message;
  }

  #onToolCall(chunk: ToolCallChunk): void {
    if (this.#toolStep === null) {
      // A message written before the calls ends where the calls begin.
      if (this.#message !== null) {
        this.#write(this.#citations.finish());
        this.saveText();
        this.records.finishMessage(this.run, this.#message.id, this.#message.stepId, null, null);
      }
      this.#toolStep = { id: this.records.startToolStep(this.run).id, calls: new Map() };
    }
    const step = this.#toolStep;
    let call = step.calls.get(chunk.index);
    if (call === undefined) {
      call = { id: newId(ID_PREFIX.call), name: '', arguments: '', announced: false };
      step.calls.set(chunk.index, call);
    }
    const piece = chunk.arguments ?? '';
    call.arguments += piece;
    if (!call.announced) {
      call.name += chunk.name ?? '';
      if (call.name === '') return;
      call.announced = true;
      this.records.emitToolCallDelta(this.run.thread_id, step.id, {
        index: chunk.index,
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments, output: null },
      });
    } else if (chunk.name !== undefined && chunk.name !== call.name) {
      // A name sent in pieces: appended, as the step delta's strings are.
      call.name += chunk.name;
      this.records.emitToolCallDelta(this.run.thread_id, step.id, { index: chunk.index, type: 'function', function: { name: chunk.name } });
    } else if (piece !== '') {
      this.records.emitToolCallDelta(this.run.thread_id, step.id, { index: chunk.index, type: 'function', function: { arguments: piece } });
    }
  }

  /** The calls in index order, each to one of the run's functions with JSON arguments. */
  #checkedCalls(calls: ReadonlyMap<number, CallInProgress>): PlannedFunctionCall[] {
    const functions = new Set(this.run.tools.flatMap((tool) => (tool.type === 'function' ? [tool.function.name] : [])));
    return [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => {
        if (!functions.has(call.name)) {
          throw new UpstreamError('server_error', `The model called a function the run does not have: '${call.name.slice(0, 64)}'.`);
        }
        // Some servers send no arguments at all for a function without parameters.
        const args = call.arguments.trim() === '' ? '{}' : call.arguments;
        try {
          JSON.parse(args);
        } catch {
          throw new UpstreamError('server_error', `The model called '${call.name}' with arguments that are not JSON: ${args.slice(0, 100)}`);
        }
        return { id: call.id, name: call.name, arguments: args };
      });
  }
}
