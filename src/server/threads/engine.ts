/**
 * The run engine: advances each active run one phase per timer tick
 * (queued -> in_progress -> requires_action | completed | failed, cancelling -> cancelled,
 * requires_action past `expires_at` -> expired), persisting every change through the
 * store and publishing the matching stream events on the bus. Its state lives in the
 * `run_progress` collection, so a restarted server resumes where it stopped, and nothing
 * depends on a listener: a stream that disconnects leaves its run running.
 *
 * The model's turn is the `think` phase: retrieval first when it is due (retrieval-step.ts),
 * then the stand-in model (model.ts, at once) or a Chat Completions upstream (chat-turn.ts:
 * while its answer streams in, the turn owns the run; a cancel aborts the request).
 */
import { invalidRequest } from '../errors.js';
import { describeError } from '../exchange.js';
import { ID_PREFIX, newId, nowSeconds } from '../ids.js';
import type { Retrieval } from '../retrieval/retrieval.js';
import { UpstreamError, type ChatClient } from '../upstream/chat-client.js';
import type { ResolvedModel } from '../upstream/chat-model-options.js';
import { estimateTokens } from '../upstream/chat-request.js';
import { ChatTurn, type ChatTurnResult } from './chat-turn.js';
import { CitationWriter, storedCitation } from './citations.js';
import { buildConversation } from './conversation.js';
import type { RunProgress, ThreadData } from './data.js';
import { isActiveRun } from './objects.js';
import type { RunEventBus, RunEventName, RunStepEventName } from './events.js';
import { countTokens, runModel, UnanswerableRunError } from './model.js';
import type { PlannedToolCall } from './model.js';
import type { MessageIncompleteReason, RunObject, RunStepStatus, StepToolCall, StepToolCallDelta, Usage } from './objects.js';
import { retrievalDue, retrieve } from './retrieval-step.js';
import { RunRecords } from './run-records.js';
import { citableSources, isJsonMode, type ModelInput, type ToolResult } from './turn-input.js';
import type { ToolOutput } from './validation.js';

export interface RunEngineOptions {
  /** Delay between two phases of a run, in milliseconds. */
  stepMs: number;
  /** How long a run may wait for tool outputs, in seconds. */
  expiresAfterSeconds: number;
  /** Resolves once every change made so far is durable. */
  flush: () => Promise<void>;
  log: (line: string) => void;
}

/** Resolves the name the stand-in model uses for an assistant; undefined when it is gone. */
export type AssistantNamer = (assistantId: string) => string | undefined;

/** What runs a turn: the model (with its client when it is a chat upstream), and the retrieval index. */
export interface RunModel {
  model: ResolvedModel;
  chat: ChatClient | undefined;
  retrieval: Retrieval;
}

/** A call the engine records in a `tool_calls` step: the model's, or the retrieval it made itself. */
type StepCall = PlannedToolCall | { type: 'retrieval'; result: ToolResult };

type EndStatus = 'completed' | 'failed' | 'cancelled' | 'expired';

interface RunEnding {
  status: EndStatus;
  lastError?: RunObject['last_error'];
  incompleteDetails?: RunObject['incomplete_details'];
}

/** How a step and a message still in progress end when their run ends early. */
const EARLY_END: Record<
  Exclude<EndStatus, 'completed'>,
  { step: RunStepStatus; timestamp: 'failed_at' | 'cancelled_at' | 'expired_at'; event: RunStepEventName; message: MessageIncompleteReason }
> = {
  failed: { step: 'failed', timestamp: 'failed_at', event: 'thread.run.step.failed', message: 'run_failed' },
  cancelled: { step: 'cancelled', timestamp: 'cancelled_at', event: 'thread.run.step.cancelled', message: 'run_cancelled' },
  expired: { step: 'expired', timestamp: 'expired_at', event: 'thread.run.step.expired', message: 'run_expired' },
};

const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

const NO_CODE_EXECUTION =
  'This server runs no code: the code_interpreter tool needs a sandbox, and `assistants serve --model chat` has none. ' +
  "Remove code_interpreter from the assistant's or the run's tools, or run the server with the stand-in model.";

function blankProgress(id: string): RunProgress {
  return {
    id,
    phase: 'start',
    tool_results: [],
    pending_results: [],
    prompt_tokens: 0,
    completion_tokens: 0,
    step_id: null,
    step_usage: null,
    message_id: null,
    chunks: [],
    incomplete: false,
  };
}

/** How long a run whose last change could not be saved waits before it tries again. */
const RETRY_AFTER_ROLLBACK_MS = 1000;

const CANCELLABLE: ReadonlySet<string> = new Set(['queued', 'in_progress', 'requires_action']);

function usageOf(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A reply cut into about eight deltas, each a run of whole words with their leading spaces. */
export function replyChunks(text: string): string[] {
  const words = text.match(/\s*\S+(\s+$)?/g) ?? [];
  const size = Math.max(1, Math.ceil(words.length / 8));
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += size) chunks.push(words.slice(index, index + size).join(''));
  return chunks;
}

export class RunEngine {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Upstream turns under way: the run is theirs until they settle, or are aborted. */
  readonly #turns = new Map<string, { controller: AbortController; turn: ChatTurn }>();
  /** Bumped by stop(): a flush that resolves afterwards schedules nothing. */
  #generation = 0;
  readonly #records: RunRecords;

  constructor(
    private readonly data: ThreadData,
    bus: RunEventBus,
    private readonly assistantName: AssistantNamer,
    private readonly options: RunEngineOptions,
    private readonly models: RunModel,
  ) {
    this.#records = new RunRecords(data, bus);
  }

  /**
   * Picks up every run left active in the store (after a restart). What a crash can leave
   * behind is settled first: the progress record of a run that had ended is dropped, and a
   * run the server died executing, or one that never got a progress record, fails.
   */
  resume(): void {
    for (const progress of this.data.progress.all()) {
      const run = this.data.runs.get(progress.id);
      if (run === undefined || !isActiveRun(run)) {
        this.data.progress.delete(progress.id);
      } else if (progress.executing === true) {
        this.#fail(run.id, { code: 'server_error', message: 'The server stopped while executing this run; it is not executed again.' });
      } else if (run.status === 'requires_action') {
        this.#scheduleExpiry(run);
      } else {
        this.#schedule(run.id, this.options.stepMs);
      }
    }
    for (const run of this.data.runs.filter((candidate) => isActiveRun(candidate) && !this.data.progress.has(candidate.id))) {
      this.#fail(run.id, { code: 'server_error', message: 'The server stopped before this run started; it is not executed.' });
    }
  }

  /**
   * After a failed write was undone: runs whose progress came back without a timer get
   * one again, a second later, so a full disk is not retried in a tight loop.
   */
  resync(): void {
    for (const progress of this.data.progress.all()) {
      if (this.#timers.has(progress.id) || this.#turns.has(progress.id)) continue;
      this.#schedule(progress.id, Math.max(this.options.stepMs, RETRY_AFTER_ROLLBACK_MS));
    }
  }

  /** Stops every timer and upstream request (server close or reset); the store keeps the state. */
  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const runId of [...this.#turns.keys()]) this.#abortTurn(runId, true);
    this.#generation++;
  }

  /** Forgets runs whose records were deleted with their thread. */
  forget(runIds: readonly string[]): void {
    for (const id of runIds) {
      clearTimeout(this.#timers.get(id));
      this.#timers.delete(id);
      this.#abortTurn(id, false);
    }
  }

  /** Aborts the run's upstream request, if one is under way, keeping (`save`) the text it wrote so far. */
  #abortTurn(runId: string, save: boolean): void {
    const turn = this.#turns.get(runId);
    if (turn === undefined) return;
    this.#turns.delete(runId);
    if (save) {
      try {
        turn.turn.saveText();
      } catch {
        // The store refuses changes (closing): the text streamed so far is what the client has.
      }
    }
    turn.controller.abort();
  }

  /** Starts a run already inserted with status `queued`. */
  start(run: RunObject): void {
    this.data.progress.insert(blankProgress(run.id));
    this.#records.emit(run.thread_id, { event: 'thread.run.created', data: run });
    this.#records.emit(run.thread_id, { event: 'thread.run.queued', data: run });
    this.#schedule(run.id, this.options.stepMs);
  }

  cancel(run: RunObject): RunObject {
    if (!CANCELLABLE.has(run.status)) throw invalidRequest(`Cannot cancel run with status '${run.status}'.`);
    this.#abortTurn(run.id, true);
    const updated = this.#records.updateRun(run.id, { status: 'cancelling' });
    this.#records.setProgress(run.id, { phase: 'cancel' });
    this.#records.emit(run.thread_id, { event: 'thread.run.cancelling', data: updated });
    this.#schedule(run.id, this.options.stepMs);
    return updated;
  }

  submitToolOutputs(run: RunObject, outputs: readonly ToolOutput[]): RunObject {
    if (run.status === 'requires_action' && run.expires_at !== null && nowSeconds() >= run.expires_at) {
      this.#tick(run.id);
    }
    const current = this.data.runs.get(run.id) ?? run;
    const progress = this.data.progress.get(run.id);
    if (current.status !== 'requires_action' || current.required_action === null || progress === undefined) {
      throw invalidRequest(`Runs in status "${current.status}" do not accept tool outputs.`);
    }
    const pending = current.required_action.submit_tool_outputs.tool_calls;
    const byId = new Map<string, string>();
    outputs.forEach((output, index) => {
      const param = `tool_outputs[${index}].tool_call_id`;
      if (!pending.some((call) => call.id === output.tool_call_id)) {
        throw invalidRequest(`Invalid '${param}': no pending tool call has the id '${output.tool_call_id}'.`, param, 'invalid_value');
      }
      if (byId.has(output.tool_call_id)) {
        throw invalidRequest(`Invalid '${param}': duplicate output for tool call '${output.tool_call_id}'.`, param, 'invalid_value');
      }
      byId.set(output.tool_call_id, output.output);
    });
    const missing = pending.filter((call) => !byId.has(call.id));
    if (missing.length > 0) {
      const list = (ids: string[]): string => `[${ids.map((id) => `'${id}'`).join(', ')}]`;
      throw invalidRequest(
        `Expected tool outputs for call_ids ${list(pending.map((call) => call.id))}, got ${list([...byId.keys()])}`,
        'tool_outputs',
      );
    }

    const now = nowSeconds();
    const results: ToolResult[] = pending.map((call) => ({
      type: 'function',
      name: call.function.name,
      output: byId.get(call.id) ?? '',
      call_id: call.id,
      arguments: call.function.arguments,
      ...(progress.step_id === null ? {} : { step_id: progress.step_id }),
    }));
    if (progress.step_id !== null) {
      const step = this.#records.updateStep(progress.step_id, (current) => ({
        status: 'completed',
        completed_at: now,
        usage: progress.step_usage,
        step_details:
          current.step_details.type === 'tool_calls'
            ? {
                type: 'tool_calls',
                tool_calls: current.step_details.tool_calls.map((call) =>
                  call.type === 'function' ? { ...call, function: { ...call.function, output: byId.get(call.id) ?? null } } : call,
                ),
              }
            : current.step_details,
      }));
      this.#records.emit(run.thread_id, { event: 'thread.run.step.completed', data: step });
    }
    const updated = this.#records.updateRun(run.id, { status: 'queued', required_action: null });
    this.#records.setProgress(run.id, {
      phase: 'start',
      tool_results: [...progress.tool_results, ...results],
      step_id: null,
      step_usage: null,
    });
    this.#records.emit(run.thread_id, { event: 'thread.run.queued', data: updated });
    this.#schedule(run.id, this.options.stepMs);
    return updated;
  }

  #schedule(runId: string, delayMs: number): void {
    clearTimeout(this.#timers.get(runId));
    const timer = setTimeout(() => this.#tick(runId), Math.max(0, delayMs));
    timer.unref();
    this.#timers.set(runId, timer);
  }

  #scheduleExpiry(run: RunObject): void {
    const at = (run.expires_at ?? nowSeconds()) * 1000;
    this.#schedule(run.id, at - Date.now());
  }

  #tick(runId: string): void {
    clearTimeout(this.#timers.get(runId));
    this.#timers.delete(runId);
    if (this.#turns.has(runId)) return;
    const run = this.data.runs.get(runId);
    const progress = this.data.progress.get(runId);
    if (run === undefined || progress === undefined) return;
    try {
      if (progress.phase === 'think' && progress.executing !== true) return this.#markExecuting(runId);
      this.#advance(run, progress);
    } catch (error) {
      if (error instanceof UnanswerableRunError) {
        this.#fail(runId, { code: 'invalid_prompt', message: error.message });
      } else {
        this.options.log(`assistants serve: run ${runId} failed: ${describeError(error)}`);
        this.#fail(runId, { code: 'server_error', message: SERVER_ERROR_MESSAGE });
      }
    }
  }

  /** Makes `executing` durable, then thinks: a crash while thinking is then seen on restart. */
  #markExecuting(runId: string): void {
    this.#records.setProgress(runId, { executing: true });
    const generation = this.#generation;
    this.options.flush().then(
      () => {
        if (generation === this.#generation && this.data.progress.get(runId)?.executing === true) this.#schedule(runId, 0);
      },
      // Undone by the store's rollback; resync() schedules the run again.
      () => undefined,
    );
  }

  /**
   * Ends a run that could not be executed as `failed` with `lastError`. Whatever goes wrong
   * on the way, the run does not stay active and nothing escapes the timer.
   */
  #fail(runId: string, lastError: NonNullable<RunObject['last_error']>): void {
    const run = this.data.runs.get(runId);
    try {
      if (run === undefined) {
        this.data.progress.delete(runId);
      } else {
        this.#end(run, this.data.progress.get(runId) ?? blankProgress(runId), { status: 'failed', lastError });
      }
    } catch (second) {
      this.options.log(`assistants serve: run ${runId} could not be ended cleanly: ${describeError(second)}`);
      clearTimeout(this.#timers.get(runId));
      this.#timers.delete(runId);
      try {
        this.data.runs.update(runId, (current) => ({
          ...current,
          status: 'failed',
          failed_at: nowSeconds(),
          expires_at: null,
          required_action: null,
          last_error: lastError,
        }));
        this.data.progress.delete(runId);
      } catch {
        // The store refuses every change (closed): the run is settled on the next start.
      }
    }
  }

  #advance(run: RunObject, progress: RunProgress): void {
    switch (progress.phase) {
      case 'start':
        return this.#begin(run);
      case 'think':
        return this.#think(run, progress);
      case 'tool':
        return this.#finishTools(run, progress);
      case 'write':
        return this.#write(run, progress);
      case 'await_outputs':
        if (run.expires_at !== null && nowSeconds() >= run.expires_at) return this.#end(run, progress, { status: 'expired' });
        return this.#scheduleExpiry(run);
      case 'cancel':
        return this.#end(run, progress, { status: 'cancelled' });
    }
  }

  #begin(run: RunObject): void {
    const updated = this.#records.updateRun(run.id, { status: 'in_progress', started_at: nowSeconds() });
    this.#records.setProgress(run.id, { phase: 'think' });
    this.#records.emit(run.thread_id, { event: 'thread.run.in_progress', data: updated });
    this.#schedule(run.id, this.options.stepMs);
  }

  #think(run: RunObject, progress: RunProgress): void {
    const name = this.assistantName(run.assistant_id);
    if (name === undefined) {
      return this.#end(run, progress, {
        status: 'failed',
        lastError: { code: 'server_error', message: `No assistant found with id '${run.assistant_id}'.` },
      });
    }
    const unavailable = unavailableToolChoice(run);
    if (unavailable !== null) {
      return this.#end(run, progress, { status: 'failed', lastError: { code: 'invalid_prompt', message: unavailable } });
    }
    const chat = this.models.model.type === 'chat';
    if (chat && run.tools.some((tool) => tool.type === 'code_interpreter')) {
      return this.#end(run, progress, { status: 'failed', lastError: { code: 'invalid_prompt', message: NO_CODE_EXECUTION } });
    }
    const messages = this.data.threadMessages(run.thread_id);
    if (retrievalDue(run, progress, messages, this.models.retrieval)) {
      const result = retrieve(run, messages, this.models.retrieval);
      return this.#callTools(run, [{ type: 'retrieval', result }], usageOf(0, 0), progress);
    }
    const conversation = buildConversation(run, name, messages, {
      toolResults: progress.tool_results,
      completionTokensUsed: progress.completion_tokens,
      countTokens: chat ? estimateTokens : countTokens,
    });
    if (!conversation.ok) {
      return this.#end(run, progress, { status: 'completed', incompleteDetails: { reason: conversation.reason } });
    }
    if (chat) return this.#thinkUpstream(run, conversation.input);

    const turn = runModel(conversation.input);
    const turnUsage = usageOf(turn.promptTokens, turn.completionTokens);
    const totals = {
      prompt_tokens: progress.prompt_tokens + turn.promptTokens,
      completion_tokens: progress.completion_tokens + turn.completionTokens,
    };
    if (turn.type === 'tool_calls') return this.#callTools(run, turn.calls, turnUsage, totals);

    // The reply's citations, worked out whole: each written piece carries those in it.
    const citations = new CitationWriter(isJsonMode(run.response_format) ? [] : citableSources(progress.tool_results));
    const annotations = [citations.push(turn.text), citations.finish()].flatMap((piece) => piece.annotations);
    const { message, step } = this.#records.startMessage(run);
    this.#records.setProgress(run.id, {
      ...totals,
      phase: 'write',
      step_id: step.id,
      step_usage: turnUsage,
      message_id: message.id,
      chunks: replyChunks(turn.text),
      annotations,
      incomplete: turn.incomplete,
    });
    this.#schedule(run.id, this.options.stepMs);
  }

  /** Sends the turn to the upstream; the run waits (no timer) until the answer is in, or is aborted. */
  #thinkUpstream(run: RunObject, input: ModelInput): void {
    const chat = this.models.chat;
    if (this.models.model.type !== 'chat' || chat === undefined) throw new Error('no chat upstream configured');
    const controller = new AbortController();
    const turn = new ChatTurn(this.#records, chat, this.models.model, run, input);
    this.#turns.set(run.id, { controller, turn });
    const settle = (next: () => void): void => {
      // A cancel, a deleted thread or a stop took the run back: nothing more is written.
      if (controller.signal.aborted || this.#turns.get(run.id)?.controller !== controller) return;
      this.#turns.delete(run.id);
      try {
        next();
      } catch (error) {
        this.#failTurn(run.id, turn, error);
      }
    };
    turn.execute(controller.signal).then(
      (result) => settle(() => this.#afterUpstream(run.id, result)),
      (error: unknown) =>
        settle(() => {
          throw error;
        }),
    );
  }

  /** Ends a run whose upstream turn failed: with the upstream's error, or the server's. */
  #failTurn(runId: string, turn: ChatTurn, error: unknown): void {
    try {
      turn.saveText();
    } catch {
      // Ending the run matters more than the text written so far.
    }
    if (error instanceof UpstreamError) {
      this.options.log(`assistants serve: run ${runId} failed: ${error.message}`);
      return this.#fail(runId, { code: error.code, message: error.message });
    }
    this.options.log(`assistants serve: run ${runId} failed: ${describeError(error)}`);
    this.#fail(runId, { code: 'server_error', message: SERVER_ERROR_MESSAGE });
  }

  /** The upstream's answer is in: the run waits for tool outputs, or its message is done and so is the run. */
  #afterUpstream(runId: string, result: ChatTurnResult): void {
    const run = this.data.runs.get(runId);
    const progress = this.data.progress.get(runId);
    if (run === undefined || progress === undefined) return;
    const totals = {
      prompt_tokens: progress.prompt_tokens + result.usage.prompt_tokens,
      completion_tokens: progress.completion_tokens + result.usage.completion_tokens,
    };
    if (result.type === 'tool_calls') {
      const toolCalls: StepToolCall[] = result.calls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments, output: null },
      }));
      this.#records.updateStep(result.stepId, () => ({ step_details: { type: 'tool_calls', tool_calls: toolCalls } }));
      return this.#requireOutputs(run, result.stepId, toolCalls, result.usage, totals);
    }
    this.#records.finishMessage(run, result.messageId, result.stepId, result.usage, result.incomplete);
    this.#end(run, { ...progress, ...totals }, {
      status: 'completed',
      incompleteDetails: result.incomplete === 'max_tokens' && run.max_completion_tokens !== null ? { reason: 'max_completion_tokens' } : null,
    });
  }

  #callTools(run: RunObject, calls: readonly StepCall[], turnUsage: Usage, totals: Pick<RunProgress, 'prompt_tokens' | 'completion_tokens'>): void {
    const created = this.#records.startToolStep(run);
    const toolCalls = calls.map((call) => stepToolCall(call));
    this.#records.updateStep(created.id, () => ({ step_details: { type: 'tool_calls', tool_calls: toolCalls } }));
    toolCalls.forEach((call, index) => {
      for (const delta of toolCallDeltas(call, index)) this.#records.emitToolCallDelta(run.thread_id, created.id, delta);
    });
    if (toolCalls.some((call) => call.type === 'function')) return this.#requireOutputs(run, created.id, toolCalls, turnUsage, totals);
    const results = calls.flatMap((call): ToolResult[] => {
      if (call.type === 'code_interpreter') return [{ type: 'code_interpreter', name: 'code_interpreter', output: call.logs }];
      return call.type === 'retrieval' ? [call.result] : [];
    });
    this.#records.setProgress(run.id, { ...totals, phase: 'tool', step_id: created.id, step_usage: turnUsage, pending_results: results });
    this.#schedule(run.id, this.options.stepMs);
  }

  /** The run waits for the outputs of the step's function calls (`requires_action`) until it expires. */
  #requireOutputs(
    run: RunObject,
    stepId: string,
    toolCalls: readonly StepToolCall[],
    turnUsage: Usage,
    totals: Pick<RunProgress, 'prompt_tokens' | 'completion_tokens'>,
  ): void {
    const functions = toolCalls.flatMap((call) =>
      call.type === 'function'
        ? [{ id: call.id, type: 'function' as const, function: { name: call.function.name, arguments: call.function.arguments } }]
        : [],
    );
    const updated = this.#records.updateRun(run.id, {
      status: 'requires_action',
      required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: functions } },
    });
    this.#records.setProgress(run.id, { ...totals, phase: 'await_outputs', step_id: stepId, step_usage: turnUsage });
    this.#records.emit(run.thread_id, { event: 'thread.run.requires_action', data: updated });
    this.#scheduleExpiry(updated);
  }

  /** Records the outputs of code_interpreter / retrieval calls and lets the model think again. */
  #finishTools(run: RunObject, progress: RunProgress): void {
    if (progress.step_id !== null) {
      const logs = progress.pending_results.map((result) => result.output);
      const step = this.#records.updateStep(progress.step_id, (current) => ({
        status: 'completed',
        completed_at: nowSeconds(),
        usage: progress.step_usage,
        step_details:
          current.step_details.type === 'tool_calls'
            ? {
                type: 'tool_calls',
                tool_calls: current.step_details.tool_calls.map((call, index): StepToolCall =>
                  call.type === 'code_interpreter'
                    ? { ...call, code_interpreter: { ...call.code_interpreter, outputs: [{ type: 'logs', logs: logs[index] ?? '' }] } }
                    : call,
                ),
              }
            : current.step_details,
      }));
      this.#records.emit(run.thread_id, { event: 'thread.run.step.completed', data: step });
    }
    this.#records.setProgress(run.id, {
      phase: 'think',
      tool_results: [...progress.tool_results, ...progress.pending_results],
      pending_results: [],
      step_id: null,
      step_usage: null,
    });
    this.#schedule(run.id, this.options.stepMs);
  }

  #write(run: RunObject, progress: RunProgress): void {
    const [chunk, ...rest] = progress.chunks;
    const messageId = progress.message_id;
    if (messageId === null) throw new Error(`run ${run.id} is writing without a message`);
    if (chunk !== undefined) {
      const written = this.data.messages.get(messageId)?.content[0]?.text.value ?? '';
      const end = written.length + chunk.length;
      const annotations = progress.annotations ?? [];
      this.#records.storeText(
        messageId,
        written + chunk,
        annotations.filter((annotation) => annotation.start_index < end).map(storedCitation),
      );
      this.#records.setProgress(run.id, { chunks: rest });
      this.#records.emitText(run.thread_id, messageId, {
        text: chunk,
        annotations: annotations.filter((annotation) => annotation.start_index >= written.length && annotation.start_index < end),
      });
    }
    if (rest.length > 0) return this.#schedule(run.id, this.options.stepMs);
    this.#records.finishMessage(run, messageId, progress.step_id, progress.step_usage, progress.incomplete ? 'max_tokens' : null);
    this.#end(run, this.data.progress.get(run.id) ?? progress, {
      status: 'completed',
      incompleteDetails: progress.incomplete ? { reason: 'max_completion_tokens' } : null,
    });
  }

  /**
   * Ends a run: a step or message still in progress ends with it (failed, cancelled or
   * expired), the run gets its timestamp and usage, and its progress record is dropped.
   */
  #end(run: RunObject, progress: RunProgress, ending: RunEnding): void {
    const now = nowSeconds();
    if (ending.status !== 'completed') {
      const early = EARLY_END[ending.status];
      const reason: MessageIncompleteReason = early.message;
      for (const step of this.data.runSteps(run.id).filter((candidate) => candidate.status === 'in_progress')) {
        const ended = this.#records.updateStep(step.id, () => ({
          status: early.step,
          [early.timestamp]: now,
          last_error: early.step === 'failed' ? { code: stepErrorCode(ending), message: ending.lastError?.message ?? '' } : null,
        }));
        this.#records.emit(run.thread_id, { event: early.event, data: ended });
      }
      for (const message of this.data.threadMessages(run.thread_id)) {
        if (message.run_id !== run.id || message.status !== 'in_progress') continue;
        const ended = this.data.messages.update(message.id, (current) => ({
          ...current,
          status: 'incomplete',
          incomplete_at: now,
          incomplete_details: { reason },
        }));
        if (ended !== undefined) this.#records.emit(run.thread_id, { event: 'thread.message.incomplete', data: ended });
      }
    }
    const timestamps: Partial<RunObject> = {
      completed: { completed_at: now, expires_at: null },
      failed: { failed_at: now, expires_at: null },
      cancelled: { cancelled_at: now, expires_at: null },
      expired: {},
    }[ending.status];
    const updated = this.#records.updateRun(run.id, {
      ...timestamps,
      status: ending.status,
      required_action: null,
      last_error: ending.lastError ?? null,
      incomplete_details: ending.incompleteDetails ?? null,
      usage: usageOf(progress.prompt_tokens, progress.completion_tokens),
    });
    this.data.progress.delete(run.id);
    clearTimeout(this.#timers.get(run.id));
    this.#timers.delete(run.id);
    this.#records.emit(run.thread_id, { event: `thread.run.${ending.status}` satisfies RunEventName, data: updated });
  }
}

/** A failed step's error: the run's own when it is one a step can have, else `server_error`. */
function stepErrorCode(ending: RunEnding): 'server_error' | 'rate_limit_exceeded' {
  return ending.lastError?.code === 'rate_limit_exceeded' ? 'rate_limit_exceeded' : 'server_error';
}

/** Why the run's tool_choice cannot be honoured, or null when it can. */
function unavailableToolChoice(run: RunObject): string | null {
  const choice = run.tool_choice;
  if (choice === null || typeof choice === 'string') return null;
  if (choice.type === 'function') {
    const found = run.tools.some((tool) => tool.type === 'function' && tool.function.name === choice.function.name);
    return found ? null : `tool_choice names the function '${choice.function.name}', which is not among the run's tools.`;
  }
  return run.tools.some((tool) => tool.type === choice.type)
    ? null
    : `tool_choice asks for the ${choice.type} tool, which is not among the run's tools.`;
}

function stepToolCall(call: StepCall): StepToolCall {
  const id = newId(ID_PREFIX.call);
  switch (call.type) {
    case 'function':
      return { id, type: 'function', function: { name: call.name, arguments: call.arguments, output: null } };
    case 'code_interpreter':
      return { id, type: 'code_interpreter', code_interpreter: { input: call.input, outputs: [] } };
    case 'retrieval':
      return { id, type: 'retrieval', retrieval: {} };
  }
}

/** The step deltas that announce a tool call: its header, then its arguments or input. */
function toolCallDeltas(call: StepToolCall, index: number): StepToolCallDelta[] {
  switch (call.type) {
    case 'function':
      return [
        { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '', output: null } },
        { index, type: 'function', function: { arguments: call.function.arguments } },
      ];
    case 'code_interpreter':
      return [
        { index, id: call.id, type: 'code_interpreter', code_interpreter: { input: '', outputs: [] } },
        { index, type: 'code_interpreter', code_interpreter: { input: call.code_interpreter.input } },
      ];
    case 'retrieval':
      return [{ index, id: call.id, type: 'retrieval', retrieval: {} }];
  }
}
