/**
 * One turn of a run on a Chat Completions upstream: the request is sent, and what streams
 * back is relayed as it arrives. Text opens the run's message (a `message_creation` step,
 * then `thread.message.delta` events, citations included); tool calls open a `tool_calls`
 * step (ending a message written before them) and stream as `thread.run.step.delta`
 * events. The engine ends the turn from its result: the message completed, or the run
 * waiting for tool outputs. A call the run cannot make (a function it does not have,
 * arguments that are not JSON) fails the turn with an UpstreamError.
 *
 * The turn runs outside any transaction: each piece it writes is a transaction of its own
 * (TurnWriter, which the engine gives it: it checks that this server still holds the run),
 * one after another in the order the pieces came. A write that fails (the run was taken
 * over, cancelled or deleted) stops the turn.
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

/** Runs a change of the turn's run in a transaction of its own, while this server holds the run. */
export interface TurnWriter {
  write<T>(change: (records: RunRecords) => Promise<T>): Promise<T>;
}
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
  /** The writes queued so far, one after another; the first failure stops the turn. */
  #writes: Promise<void> = Promise.resolve();
  #writeFailure: { error: unknown } | null = null;
  readonly #stop = new AbortController();

  constructor(
    private readonly writer: TurnWriter,
    private readonly client: ChatClient,
    private readonly model: ResolvedChatModel,
    private readonly run: RunObject,
    private readonly input: ModelInput,
  ) {
    this.#citations = new CitationWriter(isJsonMode(input.responseFormat) ? [] : citableSources(input.toolResults));
  }

  async execute(signal: AbortSignal): Promise<ChatTurnResult> {
    const request = chatRequest(this.input, upstreamModel(this.model, this.run.model));
    const abort = (): void => this.#stop.abort();
    signal.addEventListener('abort', abort);
    let outcome: Awaited<ReturnType<ChatClient['complete']>>;
    try {
      outcome = await this.client.complete(
        request,
        {
          content: (text) => this.#queue((records) => this.#onContent(records, text)),
          toolCall: (chunk) => this.#queue((records) => this.#onToolCall(records, chunk)),
        },
        this.#stop.signal,
      );
    } catch (error) {
      if (this.#writeFailure !== null) throw this.#writeFailure.error;
      throw error;
    } finally {
      signal.removeEventListener('abort', abort);
    }
    const finished = await this.#finish();
    const usage = outcome.usage ?? {
      prompt_tokens: estimateTokens(JSON.stringify(request.messages)),
      completion_tokens: estimateTokens(this.#writtenText()),
    };
    const turnUsage: Usage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    if (finished.type === 'tool_calls') return { type: 'tool_calls', stepId: finished.stepId, calls: this.#checkedCalls(finished.calls), usage: turnUsage };
    return { type: 'message', messageId: finished.messageId, stepId: finished.stepId, incomplete: INCOMPLETE_BY_FINISH[outcome.finishReason] ?? null, usage: turnUsage };
  }

  /** The last writes: the text held back for a citation, and the message's text stored whole. */
  async #finish(): Promise<{ type: 'tool_calls'; stepId: string; calls: ReadonlyMap<number, CallInProgress> } | { type: 'message'; messageId: string; stepId: string }> {
    this.#queue(async (records) => {
      if (this.#toolStep === null) await this.#write(records, this.#citations.finish());
      if (this.#toolStep === null) {
        await (this.#message === null ? this.#open(records) : Promise.resolve(this.#message));
        await this.#storeText(records);
      }
    });
    await this.#writes;
    if (this.#writeFailure !== null) throw this.#writeFailure.error;
    if (this.#toolStep !== null) return { type: 'tool_calls', stepId: this.#toolStep.id, calls: this.#toolStep.calls };
    const message = this.#message;
    if (message === null) throw new Error('the turn ended without a message');
    return { type: 'message', messageId: message.id, stepId: message.stepId };
  }

  #queue(write: (records: RunRecords) => Promise<void>): void {
    this.#writes = this.#writes.then(async () => {
      if (this.#writeFailure !== null) return;
      try {
        await this.writer.write(write);
      } catch (error) {
        this.#writeFailure = { error };
        this.#stop.abort();
      }
    });
  }

  /** Stores the text of the message being written so far (before the run ends early), after the writes queued. */
  async saveText(): Promise<void> {
    await this.#writes;
    if (this.#message === null || this.#writeFailure !== null) return;
    await this.writer.write((records) => this.#storeText(records));
  }

  async #storeText(records: RunRecords): Promise<void> {
    const message = this.#message;
    if (message === null) return;
    await records.storeText(message.id, message.text, message.annotations);
    message.storedAt = Date.now();
  }

  #writtenText(): string {
    const calls = [...(this.#toolStep?.calls.values() ?? [])].map((call) => `${call.name} ${call.arguments}`);
    return [this.#message?.text ?? '', ...calls].join(' ');
  }

  async #onContent(records: RunRecords, text: string): Promise<void> {
    // Text after the tool calls (some models add a word) has no step to go to.
    if (this.#toolStep !== null) return;
    await this.#write(records, this.#citations.push(text));
  }

  async #write(records: RunRecords, piece: CitedPiece): Promise<void> {
    if (piece.text === '') return;
    if (this.#message === null && piece.text.trim() === '') {
      this.#leading += piece.text;
      return;
    }
    const message = this.#message ?? (await this.#open(records));
    const text = this.#leading + piece.text;
    this.#leading = '';
    message.text += text;
    message.annotations.push(...piece.annotations.map(storedCitation));
    await records.emitText(this.run.id, message.id, { text, annotations: piece.annotations });
    if (Date.now() - message.storedAt >= STORE_TEXT_EVERY_MS) await this.#storeText(records);
  }

  async #open(records: RunRecords): Promise<OpenMessage> {
    const { message, step } = await records.startMessage(this.run);
    this.#message = { id: message.id, stepId: step.id, text: '', annotations: [], storedAt: Date.now() };
    return this.#message;
  }

  async #onToolCall(records: RunRecords, chunk: ToolCallChunk): Promise<void> {
    if (this.#toolStep === null) {
      // A message written before the calls ends where the calls begin.
      if (this.#message !== null) {
        await this.#write(records, this.#citations.finish());
        await this.#storeText(records);
        await records.finishMessage(this.run, this.#message.id, this.#message.stepId, null, null);
      }
      this.#toolStep = { id: (await records.startToolStep(this.run)).id, calls: new Map() };
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
      await records.emitToolCallDelta(this.run.id, step.id, {
        index: chunk.index,
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments, output: null },
      });
    } else if (chunk.name !== undefined && chunk.name !== call.name) {
      // A name sent in pieces: appended, as the step delta's strings are.
      call.name += chunk.name;
      await records.emitToolCallDelta(this.run.id, step.id, { index: chunk.index, type: 'function', function: { name: chunk.name } });
    } else if (piece !== '') {
      await records.emitToolCallDelta(this.run.id, step.id, { index: chunk.index, type: 'function', function: { arguments: piece } });
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
