/**
 * What each phase of a run does, in one transaction (the engine, engine.ts, decides when
 * and on which replica): queued -> in_progress -> requires_action | completed | failed,
 * cancelling -> cancelled, requires_action past `expires_at` -> expired. Every change goes
 * through RunRecords with the stream events that report it; the run's progress record
 * says where it is, so whichever server claims the run next carries on from there.
 *
 * The model's turn is the `think` phase: retrieval first when it is due (retrieval-step.ts),
 * then the stand-in model (model.ts, within the phase's transaction) or a Chat Completions
 * upstream (chat-turn.ts: outside any transaction, the engine runs it; a cancel aborts it).
 */
import { invalidRequest } from '../errors.js';
import { ID_PREFIX, newId, nowSeconds } from '../ids.js';
import type { Retrieval } from '../retrieval/retrieval.js';
import type { StoreWriter } from '../store/store.js';
import type { ChatClient } from '../upstream/chat-client.js';
import type { ResolvedModel } from '../upstream/chat-model-options.js';
import { estimateTokens } from '../upstream/chat-request.js';
import type { ChatTurnResult } from './chat-turn.js';
import { CitationWriter, storedCitation } from './citations.js';
import { buildConversation } from './conversation.js';
import { runSteps, threadMessages, type RunProgress } from './data.js';
import type { RunEventName, RunStepEventName } from './events.js';
import { countTokens, runModel } from './model.js';
import type { PlannedToolCall } from './model.js';
import type { MessageIncompleteReason, RunObject, RunStepStatus, StepToolCall, StepToolCallDelta, Usage } from './objects.js';
import { isActiveRun } from './objects.js';
import { retrievalDue, retrieve } from './retrieval-step.js';
import { RunRecords } from './run-records.js';
import { citableSources, isJsonMode, type ModelInput, type ToolResult } from './turn-input.js';
import type { ToolOutput } from './validation.js';

/** What runs a turn: the model (with its client when it is a chat upstream), and the retrieval index. */
export interface RunModel {
  model: ResolvedModel;
  chat: ChatClient | undefined;
  retrieval: Retrieval;
}

export interface RunStepOptions {
  /** Delay between two phases of a run, in milliseconds. */
  stepMs: number;
  /**
   * How many times a run's model turn may be started: a server that claims a run found
   * `executing` (its last server died in the turn) starts it again only below this, so a
   * run that kills servers fails instead of killing them all.
   */
  maxExecutions: number;
}

/** What the engine does after a phase. */
export type StepOutcome =
  /** Run the next phase after `delayMs`. */
  | { kind: 'next'; delayMs: number }
  /** The turn is marked `executing`: once that is durable, run the phase again (the turn itself). */
  | { kind: 'execute' }
  /** Send this turn to the chat upstream, outside any transaction. */
  | { kind: 'upstream'; run: RunObject; input: ModelInput }
  /** The run is over (or gone). */
  | { kind: 'ended' };

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

export const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

const NO_CODE_EXECUTION =
  'This server runs no code: the code_interpreter tool needs a sandbox, and `assistants serve --model chat` has none. ' +
  "Remove code_interpreter from the assistant's or the run's tools, or run the server with the stand-in model.";

const CANCELLABLE: ReadonlySet<string> = new Set(['queued', 'in_progress', 'requires_action']);

const ENDED: StepOutcome = { kind: 'ended' };

export function blankProgress(id: string): RunProgress {
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

function usageOf(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** When a run waiting for tool outputs expires, in ms since the epoch. */
export function expiryOf(run: RunObject): number {
  return (run.expires_at ?? nowSeconds()) * 1000;
}

/** A reply cut into about eight deltas, each a run of whole words with their leading spaces. */
export function replyChunks(text: string): string[] {
  const words = text.match(/\s*\S+(\s+$)?/g) ?? [];
  const size = Math.max(1, Math.ceil(words.length / 8));
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += size) chunks.push(words.slice(index, index + size).join(''));
  return chunks;
}

export class RunSteps {
  constructor(
    private readonly models: RunModel,
    private readonly options: RunStepOptions,
  ) {}

  /** A run just inserted with status `queued`: its progress, and its first events; returns the first event's number. */
  async enqueue(tx: StoreWriter, run: RunObject): Promise<number> {
    const records = new RunRecords(tx);
    await tx.insert('run_progress', blankProgress(run.id));
    const first = await records.emit(run.id, { event: 'thread.run.created', data: run });
    await records.emit(run.id, { event: 'thread.run.queued', data: run });
    return first;
  }

  async cancel(tx: StoreWriter, run: RunObject): Promise<{ run: RunObject; firstSeq: number }> {
    if (!CANCELLABLE.has(run.status)) throw invalidRequest(`Cannot cancel run with status '${run.status}'.`);
    const records = new RunRecords(tx);
    const updated = await records.updateRun(run.id, { status: 'cancelling' });
    await records.setProgress(run.id, { phase: 'cancel' });
    const firstSeq = await records.emit(run.id, { event: 'thread.run.cancelling', data: updated });
    return { run: updated, firstSeq };
  }

  /**
   * Records the outputs and queues the run again; returns the run and its first new event's
   * number. A run past `expires_at` is expired now (and that is kept), and the outputs are
   * refused: the error is returned, for the caller to throw once the expiry is committed.
   */
  async submitToolOutputs(tx: StoreWriter, run: RunObject, outputs: readonly ToolOutput[]): Promise<{ run: RunObject; firstSeq: number } | { refused: Error }> {
    const records = new RunRecords(tx);
    const progress = await tx.get('run_progress', run.id);
    if (run.status === 'requires_action' && run.expires_at !== null && nowSeconds() >= run.expires_at && progress !== undefined) {
      await this.#end(records, run, progress, { status: 'expired' });
      return { refused: invalidRequest('Runs in status "expired" do not accept tool outputs.') };
    }
    const current = run;
    let firstSeq: number | null = null;
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
      const step = await records.updateStep(progress.step_id, (step) => ({
        status: 'completed',
        completed_at: now,
        usage: progress.step_usage,
        step_details:
          step.step_details.type === 'tool_calls'
            ? {
                type: 'tool_calls',
                tool_calls: step.step_details.tool_calls.map((call) =>
                  call.type === 'function' ? { ...call, function: { ...call.function, output: byId.get(call.id) ?? null } } : call,
                ),
              }
            : step.step_details,
      }));
      firstSeq = await records.emit(run.id, { event: 'thread.run.step.completed', data: step });
    }
    const updated = await records.updateRun(run.id, { status: 'queued', required_action: null });
    await records.setProgress(run.id, {
      phase: 'start',
      tool_results: [...progress.tool_results, ...results],
      step_id: null,
      step_usage: null,
    });
    const queued = await records.emit(run.id, { event: 'thread.run.queued', data: updated });
    return { run: updated, firstSeq: firstSeq ?? queued };
  }

  /**
   * Runs the run's next phase. `claimed` is true on the first phase a server runs after
   * claiming the run: a turn found `executing` then is one whose server died in it.
   */
  async advance(tx: StoreWriter, run: RunObject, progress: RunProgress, claimed: boolean, assistantName: string | undefined): Promise<StepOutcome> {
    const records = new RunRecords(tx);
    if (!isActiveRun(run)) {
      await tx.delete('run_progress', run.id);
      return { kind: 'ended' };
    }
    if (claimed && progress.executing === true) return this.#afterLostTurn(records, run, progress);
    switch (progress.phase) {
      case 'start':
        return this.#begin(records, run);
      case 'think':
        if (progress.executing !== true) {
          await records.setProgress(run.id, { executing: true, executions: (progress.executions ?? 0) + 1 });
          return { kind: 'execute' };
        }
        return this.#think(records, run, progress, assistantName);
      case 'tool':
        return this.#finishTools(records, run, progress);
      case 'write':
        return this.#write(records, run, progress);
      case 'await_outputs':
        if (run.expires_at !== null && nowSeconds() >= run.expires_at) {
          await this.#end(records, run, progress, { status: 'expired' });
          return ENDED;
        }
        return { kind: 'next', delayMs: expiryOf(run) - Date.now() };
      case 'cancel':
        await this.#end(records, run, progress, { status: 'cancelled' });
        return ENDED;
    }
  }

  /**
   * A turn whose server died in it: started again (what it had begun to write is dropped)
   * while under the limit of executions, else the run fails.
   */
  async #afterLostTurn(records: RunRecords, run: RunObject, progress: RunProgress): Promise<StepOutcome> {
    const executions = progress.executions ?? 1;
    if (executions >= this.options.maxExecutions) {
      const message =
        this.options.maxExecutions === 1
          ? 'The server stopped while executing this run; it is not executed again.'
          : `The server stopped ${executions} times while executing this run; it is not executed again.`;
      await this.fail(records.tx, run.id, { code: 'server_error', message });
      return ENDED;
    }
    const tx = records.tx;
    for (const step of await runSteps(tx, run.id)) if (step.status === 'in_progress') await tx.delete('run_steps', step.id);
    for (const message of await threadMessages(tx, run.thread_id)) {
      if (message.run_id === run.id && message.status === 'in_progress') await tx.delete('messages', message.id);
    }
    await records.setProgress(run.id, { phase: 'think', executing: false, step_id: null, step_usage: null, message_id: null, chunks: [] });
    return { kind: 'next', delayMs: 0 };
  }

  async #begin(records: RunRecords, run: RunObject): Promise<StepOutcome> {
    const updated = await records.updateRun(run.id, { status: 'in_progress', started_at: nowSeconds() });
    await records.setProgress(run.id, { phase: 'think' });
    await records.emit(run.id, { event: 'thread.run.in_progress', data: updated });
    return { kind: 'next', delayMs: this.options.stepMs };
  }

  async #think(records: RunRecords, run: RunObject, progress: RunProgress, name: string | undefined): Promise<StepOutcome> {
    if (name === undefined) {
      await this.#end(records, run, progress, {
        status: 'failed',
        lastError: { code: 'server_error', message: `No assistant found with id '${run.assistant_id}'.` },
      });
      return ENDED;
    }
    const unavailable = unavailableToolChoice(run);
    if (unavailable !== null) {
      await this.#end(records, run, progress, { status: 'failed', lastError: { code: 'invalid_prompt', message: unavailable } });
      return ENDED;
    }
    const chat = this.models.model.type === 'chat';
    if (chat && run.tools.some((tool) => tool.type === 'code_interpreter')) {
      await this.#end(records, run, progress, { status: 'failed', lastError: { code: 'invalid_prompt', message: NO_CODE_EXECUTION } });
      return ENDED;
    }
    const messages = await threadMessages(records.tx, run.thread_id);
    if (await retrievalDue(records.tx, run, progress, messages, this.models.retrieval)) {
      const result = await retrieve(records.tx, run, messages, this.models.retrieval);
      return this.#callTools(records, run, [{ type: 'retrieval', result }], usageOf(0, 0), progress);
    }
    const conversation = buildConversation(run, name, messages, {
      toolResults: progress.tool_results,
      completionTokensUsed: progress.completion_tokens,
      countTokens: chat ? estimateTokens : countTokens,
    });
    if (!conversation.ok) {
      await this.#end(records, run, progress, { status: 'completed', incompleteDetails: { reason: conversation.reason } });
      return ENDED;
    }
    if (chat) return { kind: 'upstream', run, input: conversation.input };

    const turn = runModel(conversation.input);
    const turnUsage = usageOf(turn.promptTokens, turn.completionTokens);
    const totals = {
      prompt_tokens: progress.prompt_tokens + turn.promptTokens,
      completion_tokens: progress.completion_tokens + turn.completionTokens,
    };
    if (turn.type === 'tool_calls') return this.#callTools(records, run, turn.calls, turnUsage, totals);

    // The reply's citations, worked out whole: each written piece carries those in it.
    const citations = new CitationWriter(isJsonMode(run.response_format) ? [] : citableSources(progress.tool_results));
    const annotations = [citations.push(turn.text), citations.finish()].flatMap((piece) => piece.annotations);
    const { message, step } = await records.startMessage(run);
    await records.setProgress(run.id, {
      ...totals,
      phase: 'write',
      step_id: step.id,
      step_usage: turnUsage,
      message_id: message.id,
      chunks: replyChunks(turn.text),
      annotations,
      incomplete: turn.incomplete,
    });
    return { kind: 'next', delayMs: this.options.stepMs };
  }

  /** The upstream's answer is in: the run waits for tool outputs, or its message is done and so is the run. */
  async afterUpstream(tx: StoreWriter, runId: string, result: ChatTurnResult): Promise<StepOutcome> {
    const records = new RunRecords(tx);
    const run = await tx.get('runs', runId);
    const progress = await tx.get('run_progress', runId);
    if (run === undefined || progress === undefined) return { kind: 'ended' };
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
      await records.updateStep(result.stepId, () => ({ step_details: { type: 'tool_calls', tool_calls: toolCalls } }));
      return this.#requireOutputs(records, run, result.stepId, toolCalls, result.usage, totals);
    }
    await records.finishMessage(run, result.messageId, result.stepId, result.usage, result.incomplete);
    await this.#end(records, run, { ...progress, ...totals }, {
      status: 'completed',
      incompleteDetails: result.incomplete === 'max_tokens' && run.max_completion_tokens !== null ? { reason: 'max_completion_tokens' } : null,
    });
    return ENDED;
  }

  async #callTools(
    records: RunRecords,
    run: RunObject,
    calls: readonly StepCall[],
    turnUsage: Usage,
    totals: Pick<RunProgress, 'prompt_tokens' | 'completion_tokens'>,
  ): Promise<StepOutcome> {
    const created = await records.startToolStep(run);
    const toolCalls = calls.map((call) => stepToolCall(call));
    await records.updateStep(created.id, () => ({ step_details: { type: 'tool_calls', tool_calls: toolCalls } }));
    for (const [index, call] of toolCalls.entries()) {
      for (const delta of toolCallDeltas(call, index)) await records.emitToolCallDelta(run.id, created.id, delta);
    }
    if (toolCalls.some((call) => call.type === 'function')) return this.#requireOutputs(records, run, created.id, toolCalls, turnUsage, totals);
    const results = calls.flatMap((call): ToolResult[] => {
      if (call.type === 'code_interpreter') return [{ type: 'code_interpreter', name: 'code_interpreter', output: call.logs }];
      return call.type === 'retrieval' ? [call.result] : [];
    });
    await records.setProgress(run.id, { ...totals, phase: 'tool', step_id: created.id, step_usage: turnUsage, pending_results: results });
    return { kind: 'next', delayMs: this.options.stepMs };
  }

  /** The run waits for the outputs of the step's function calls (`requires_action`) until it expires. */
  async #requireOutputs(
    records: RunRecords,
    run: RunObject,
    stepId: string,
    toolCalls: readonly StepToolCall[],
    turnUsage: Usage,
    totals: Pick<RunProgress, 'prompt_tokens' | 'completion_tokens'>,
  ): Promise<StepOutcome> {
    const functions = toolCalls.flatMap((call) =>
      call.type === 'function'
        ? [{ id: call.id, type: 'function' as const, function: { name: call.function.name, arguments: call.function.arguments } }]
        : [],
    );
    const updated = await records.updateRun(run.id, {
      status: 'requires_action',
      required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: functions } },
    });
    await records.setProgress(run.id, { ...totals, phase: 'await_outputs', step_id: stepId, step_usage: turnUsage });
    await records.emit(run.id, { event: 'thread.run.requires_action', data: updated });
    return { kind: 'next', delayMs: expiryOf(updated) - Date.now() };
  }

  /** Records the outputs of code_interpreter / retrieval calls and lets the model think again. */
  async #finishTools(records: RunRecords, run: RunObject, progress: RunProgress): Promise<StepOutcome> {
    if (progress.step_id !== null) {
      const logs = progress.pending_results.map((result) => result.output);
      const step = await records.updateStep(progress.step_id, (current) => ({
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
      await records.emit(run.id, { event: 'thread.run.step.completed', data: step });
    }
    await records.setProgress(run.id, {
      phase: 'think',
      tool_results: [...progress.tool_results, ...progress.pending_results],
      pending_results: [],
      step_id: null,
      step_usage: null,
    });
    return { kind: 'next', delayMs: this.options.stepMs };
  }

  async #write(records: RunRecords, run: RunObject, progress: RunProgress): Promise<StepOutcome> {
    const [chunk, ...rest] = progress.chunks;
    const messageId = progress.message_id;
    if (messageId === null) throw new Error(`run ${run.id} is writing without a message`);
    if (chunk !== undefined) {
      const written = (await records.tx.get('messages', messageId))?.content[0]?.text.value ?? '';
      const end = written.length + chunk.length;
      const annotations = progress.annotations ?? [];
      await records.storeText(
        messageId,
        written + chunk,
        annotations.filter((annotation) => annotation.start_index < end).map(storedCitation),
      );
      await records.setProgress(run.id, { chunks: rest });
      await records.emitText(run.id, messageId, {
        text: chunk,
        annotations: annotations.filter((annotation) => annotation.start_index >= written.length && annotation.start_index < end),
      });
    }
    if (rest.length > 0) return { kind: 'next', delayMs: this.options.stepMs };
    await records.finishMessage(run, messageId, progress.step_id, progress.step_usage, progress.incomplete ? 'max_tokens' : null);
    const current = (await records.tx.get('run_progress', run.id)) ?? progress;
    await this.#end(records, run, current, {
      status: 'completed',
      incompleteDetails: progress.incomplete ? { reason: 'max_completion_tokens' } : null,
    });
    return ENDED;
  }

  /** Ends a run that could not be executed as `failed` with `lastError`. */
  async fail(tx: StoreWriter, runId: string, lastError: NonNullable<RunObject['last_error']>): Promise<void> {
    const run = await tx.get('runs', runId);
    if (run === undefined || !isActiveRun(run)) {
      await tx.delete('run_progress', runId);
      return;
    }
    await this.#end(new RunRecords(tx), run, (await tx.get('run_progress', runId)) ?? blankProgress(runId), { status: 'failed', lastError });
  }

  /**
   * The plainest way to end a run as `failed`, when ending it cleanly failed too: only
   * the run and its progress change.
   */
  async failBare(tx: StoreWriter, runId: string, lastError: NonNullable<RunObject['last_error']>): Promise<void> {
    await tx.update('runs', runId, (current) => ({
      ...current,
      status: 'failed',
      failed_at: nowSeconds(),
      expires_at: null,
      required_action: null,
      last_error: lastError,
    }));
    await tx.delete('run_progress', runId);
  }

  /**
   * Ends a run: a step or message still in progress ends with it (failed, cancelled or
   * expired), the run gets its timestamp and usage, and its progress record is dropped.
   */
  async #end(records: RunRecords, run: RunObject, progress: RunProgress, ending: RunEnding): Promise<void> {
    const tx = records.tx;
    const now = nowSeconds();
    const emit = records.emit.bind(records);
    if (ending.status !== 'completed') {
      const early = EARLY_END[ending.status];
      const reason: MessageIncompleteReason = early.message;
      for (const step of (await runSteps(tx, run.id)).filter((candidate) => candidate.status === 'in_progress')) {
        const ended = await records.updateStep(step.id, () => ({
          status: early.step,
          [early.timestamp]: now,
          last_error: early.step === 'failed' ? { code: stepErrorCode(ending), message: ending.lastError?.message ?? '' } : null,
        }));
        await emit(run.id, { event: early.event, data: ended });
      }
      for (const message of await threadMessages(tx, run.thread_id)) {
        if (message.run_id !== run.id || message.status !== 'in_progress') continue;
        const ended = await tx.update('messages', message.id, (current) => ({
          ...current,
          status: 'incomplete',
          incomplete_at: now,
          incomplete_details: { reason },
        }));
        if (ended !== undefined) await emit(run.id, { event: 'thread.message.incomplete', data: ended });
      }
    }
    const timestamps: Partial<RunObject> = {
      completed: { completed_at: now, expires_at: null },
      failed: { failed_at: now, expires_at: null },
      cancelled: { cancelled_at: now, expires_at: null },
      expired: {},
    }[ending.status];
    const updated = await records.updateRun(run.id, {
      ...timestamps,
      status: ending.status,
      required_action: null,
      last_error: ending.lastError ?? null,
      incomplete_details: ending.incompleteDetails ?? null,
      usage: usageOf(progress.prompt_tokens, progress.completion_tokens),
    });
    await tx.delete('run_progress', run.id);
    await emit(run.id, { event: `thread.run.${ending.status}` satisfies RunEventName, data: updated });
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
