/**
 * One conversation of a test: a thread with the assistant, a streamed run per turn, stub
 * outputs submitted for function calls, the reply and the calls observed and judged, and
 * the thread deleted at the end whatever happened.
 *
 * Requests go through the paced retry loop (429s slow every conversation down together;
 * 5xx, timeouts and dropped connections are retried). A run that may have started although
 * no answer came back, or whose stream broke, is looked for on the thread and followed by
 * polling, never started twice. Only a thread whose creation failed ambiguously cannot be found
 * (the v1 API lists no threads): it is counted, so the report can say so.
 */
import type { Metadata } from '../api/models.js';
import { Pacer, retryPaced } from '../api/paced-retry.js';
import { SETTLED_RUN_STATUSES } from '../api/poll.js';
import type { AssistantStream } from '../api/stream.js';
import type { CreateMessageRequest, MessageObject, RunObject, ToolOutput } from '../api/thread-models.js';
import type { TestDefinition, ToolOutputStubs, TurnDefinition } from '../manifest/test-types.js';
import type { ConversationApi } from './api.js';
import { completedCheck, evaluateAssertion, type AssertionResult, type CallMade, type CheckContext, type Citation, type TurnObservation } from './assertions.js';

/** Where a conversation's threads went; one ledger per test run. */
export class ThreadLedger {
  readonly created = new Set<string>();
  readonly deleted = new Set<string>();
  /** Thread ids whose deletion failed, with why. */
  readonly notDeleted = new Map<string, string>();
  /** Creations that failed in a way that may have made a thread anyway: one that cannot be found. */
  unconfirmed = 0;
}

export interface ConversationSettings {
  api: ConversationApi;
  /** Shared by every conversation of the run, as apply's operations share one. */
  pacer: Pacer;
  /** Failed attempts per request, the first included. */
  maxAttempts: number;
  /** Aborted when requests in flight are given up (a second Ctrl-C). */
  signal?: AbortSignal;
  /** True once the user asked to stop (a first Ctrl-C): no turn or tool round starts. */
  shouldStop: () => boolean;
  /** On every thread made, so the run's threads can be told apart. */
  threadMetadata: Metadata;
  threads: ThreadLedger;
  /** How long one turn may take, tool rounds included, before its run is cancelled. */
  turnTimeoutMs: number;
  /** Between two polls of a run whose stream broke off. */
  pollIntervalMs: number;
  /** Hides sensitive values in what is shown (failure messages). */
  scrub: (text: string) => string;
}

export interface ConversationTarget {
  assistantId: string;
  /** Manifest file name -> upload id in the environment. */
  fileIds: ReadonlyMap<string, string>;
}

export interface TurnResult {
  observation: TurnObservation | null;
  assertions: AssertionResult[];
  /** Why the conversation could not go on after this turn; null when it could. */
  failure: string | null;
}

export interface ConversationResult {
  turns: TurnResult[];
  /** The first problem that stopped the conversation (a run that did not complete, an API error). */
  failure: string | null;
  /** Stopped by an interrupt before its end. */
  interrupted: boolean;
}

/** Thrown inside a conversation to stop it with a message for the report. */
class Stop extends Error {}

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);

export async function runConversation(test: TestDefinition, target: ConversationTarget, settings: ConversationSettings): Promise<ConversationResult> {
  const conversation = new Conversation(test, target, settings);
  return conversation.run();
}

class Conversation {
  private threadId: string | null = null;
  /** A run of ours that has not ended: cancelled when the conversation stops. */
  private activeRun: RunObject | null = null;
  private runsStarted = 0;
  private readonly context: CheckContext;

  constructor(
    private readonly test: TestDefinition,
    private readonly target: ConversationTarget,
    private readonly settings: ConversationSettings,
  ) {
    this.context = { fileIds: target.fileIds, scrub: settings.scrub };
  }

  async run(): Promise<ConversationResult> {
    const turns: TurnResult[] = [];
    let failure: string | null = null;
    let interrupted = false;
    try {
      for (const [index, turn] of this.test.turns.entries()) {
        if (this.settings.shouldStop() || this.settings.signal?.aborted) {
          interrupted = true;
          break;
        }
        const result = await this.turn(turn, index);
        turns.push(result);
        if (result.failure !== null) {
          failure = result.failure;
          break;
        }
      }
    } catch (error) {
      interrupted = this.settings.shouldStop() || this.settings.signal?.aborted === true;
      failure = `turn ${turns.length + 1}: ${this.settings.scrub(error instanceof Stop ? error.message : describeError(error))}`;
    } finally {
      await this.cleanUp();
    }
    return { turns, failure, interrupted };
  }

  private async turn(turn: TurnDefinition, index: number): Promise<TurnResult> {
    const started = performance.now();
    const deadline = Date.now() + this.settings.turnTimeoutMs;
    const seen: Seen = { messages: new Map() };
    let run = await this.startRun(turn, seen, deadline);
    const calls: CallMade[] = [];
    const stubs = new StubOutputs(turn.toolOutputs);
    let missing: string | null = null;
    while (run.status === 'requires_action') {
      const toolCalls = run.requiredAction?.submitToolOutputs.toolCalls ?? [];
      const outputs: ToolOutput[] = [];
      for (const call of toolCalls) {
        calls.push({ name: call.function.name, arguments: call.function.arguments });
        const number = stubs.count(call.function.name);
        const output = stubs.next(call.function.name);
        if (output === undefined) missing ??= `the run asked for the output of call ${number} of ${call.function.name}, and tool_outputs has none for it`;
        else outputs.push({ toolCallId: call.id, output });
      }
      if (missing !== null || this.settings.shouldStop()) break;
      run = await this.submit(run, outputs, seen, deadline);
    }
    const latencyMs = performance.now() - started;
    const messages = run.status === 'completed' ? await this.replyMessages(run, seen) : [];
    const observation: TurnObservation = {
      status: run.status,
      lastError: run.lastError,
      reply: messages.map(textOf).filter((text) => text !== '').join('\n\n'),
      calls,
      citations: messages.flatMap(citationsOf),
      usage: run.usage,
      latencyMs,
    };
    if (!TERMINAL.has(run.status)) await this.cancelActiveRun();
    if (this.settings.shouldStop() && run.status === 'requires_action') {
      return { observation: null, assertions: [], failure: `turn ${index + 1}: interrupted while the run waited for tool outputs` };
    }
    const assertions = turn.assertions.map((assertion) => evaluateAssertion(assertion, observation, this.context));
    const expectsStatus = turn.assertions.some((assertion) => assertion.check.type === 'status');
    const incomplete = expectsStatus ? null : completedCheck(observation, this.context);
    const why = incomplete === null ? null : missing !== null && run.status === 'requires_action' ? `${incomplete} (${missing})` : incomplete;
    return { observation, assertions, failure: why === null ? null : `turn ${index + 1}: ${why}` };
  }

  /** The turn's message and run: on a new thread for the first turn, as an added message after. */
  private async startRun(turn: TurnDefinition, seen: Seen, deadline: number): Promise<RunObject> {
    const message: CreateMessageRequest = { role: 'user', content: turn.user };
    const fileIds = turn.files.map((name) => this.target.fileIds.get(name)).filter((id): id is string => id !== undefined);
    if (fileIds.length > 0) message.fileIds = fileIds;
    const overrides = { assistantId: this.target.assistantId, ...turn.run };
    const runsBefore = this.runsStarted;
    // createThreadAndRun takes no additional_instructions: such a first turn makes its thread first.
    if (this.threadId === null && turn.run.additionalInstructions !== undefined) {
      const thread = await this.request(async () => this.settings.api.createThread({ metadata: this.settings.threadMetadata }), {
        onAmbiguous: () => this.settings.threads.unconfirmed++,
      });
      this.threadCreated(thread.id);
    }
    const run = await this.request(
      async () => {
        seen.run = undefined;
        const threadId = this.threadId;
        const stream =
          threadId === null
            ? await this.settings.api.streamThreadAndRun({ ...overrides, thread: { messages: [message], metadata: this.settings.threadMetadata } })
            : await this.settings.api.streamRun(threadId, { ...overrides, additionalMessages: [message] });
        return this.follow(stream, seen, deadline);
      },
      {
        // A new thread whose first event never came cannot be found: count it.
        onAmbiguous: () => {
          if (this.threadId === null) this.settings.threads.unconfirmed++;
        },
        recover: async () => {
          if (seen.run !== undefined) return this.settle(seen.run, deadline);
          if (this.threadId === null) return null;
          const runs = await this.settings.api.listRuns(this.threadId);
          const ours = runs.length > runsBefore ? runs[0] : undefined;
          return ours === undefined ? null : this.settle(ours, deadline);
        },
      },
    );
    this.runsStarted = runsBefore + 1;
    return run;
  }

  private async submit(run: RunObject, outputs: ToolOutput[], seen: Seen, deadline: number): Promise<RunObject> {
    const asked = new Set((run.requiredAction?.submitToolOutputs.toolCalls ?? []).map((call) => call.id));
    return this.request(
      async () => {
        seen.run = undefined;
        return this.follow(await this.settings.api.streamToolOutputs(run.threadId, run.id, outputs), seen, deadline);
      },
      {
        recover: async () => {
          const now = seen.run ?? (await this.settings.api.getRun(run.threadId, run.id));
          const stillAsking = now.status === 'requires_action' && (now.requiredAction?.submitToolOutputs.toolCalls ?? []).every((call) => asked.has(call.id));
          return stillAsking ? null : this.settle(now, deadline);
        },
      },
    );
  }

  /** Reads a run's stream to its end, then waits for the run to settle if the stream did not see it do so. */
  private async follow(stream: AssistantStream, seen: Seen, deadline: number): Promise<RunObject> {
    for await (const event of stream) {
      switch (event.event) {
        case 'thread.created':
          this.threadCreated(event.data.id);
          break;
        case 'thread.message.completed':
        case 'thread.message.incomplete':
          seen.messages.set(event.data.id, event.data);
          break;
        case 'error':
          throw new Stop(`the run's event stream reported an error: ${event.data.message}`);
        default:
          if (event.event.startsWith('thread.run.') && !event.event.startsWith('thread.run.step')) {
            const run = event.data as RunObject;
            if (this.threadId === null) this.threadCreated(run.threadId);
            seen.run = run;
            this.activeRun = TERMINAL.has(run.status) ? null : run;
          }
      }
    }
    if (seen.run === undefined) throw new Stop('the run\'s event stream ended without reporting a run');
    return this.settle(seen.run, deadline);
  }

  /** The run once settled (ended, or waiting for tool outputs), polling when it is not yet. */
  private async settle(run: RunObject, deadline: number): Promise<RunObject> {
    let current = run;
    this.activeRun = TERMINAL.has(current.status) ? null : current;
    while (!SETTLED_RUN_STATUSES.has(current.status)) {
      if (Date.now() > deadline) throw new Stop(`the run was still ${current.status} after ${Math.round(this.settings.turnTimeoutMs / 1000)} s; it was cancelled`);
      if (this.settings.signal?.aborted) throw new Stop('interrupted while waiting for the run');
      await new Promise((resolve) => setTimeout(resolve, this.settings.pollIntervalMs));
      const { threadId, id } = current;
      current = await this.request(() => this.settings.api.getRun(threadId, id));
      this.activeRun = TERMINAL.has(current.status) ? null : current;
    }
    return current;
  }

  private async replyMessages(run: RunObject, seen: Seen): Promise<MessageObject[]> {
    const streamed = [...seen.messages.values()].filter((message) => message.runId === run.id && message.role === 'assistant');
    if (streamed.length > 0) return streamed.sort((a, b) => a.createdAt - b.createdAt);
    const listed = await this.request(() => this.settings.api.listRunMessages(run.threadId, run.id));
    return listed.filter((message) => message.role === 'assistant');
  }

  private threadCreated(id: string): void {
    this.threadId = id;
    this.settings.threads.created.add(id);
  }

  private request<T>(send: () => Promise<T>, extra: { recover?: () => Promise<T | null>; onAmbiguous?: () => void } = {}): Promise<T> {
    const { recover, onAmbiguous } = extra;
    return retryPaced(send, {
      pacer: this.settings.pacer,
      maxAttempts: this.settings.maxAttempts,
      signal: this.settings.signal,
      recover:
        recover === undefined && onAmbiguous === undefined
          ? undefined
          : async () => {
              const found = recover === undefined ? null : await recover();
              if (found === null) onAmbiguous?.();
              return found;
            },
    });
  }

  private async cancelActiveRun(): Promise<void> {
    const run = this.activeRun;
    this.activeRun = null;
    if (run === null) return;
    // A run that ended meanwhile cannot be cancelled (400): nothing more to do for it.
    await retryPaced(() => this.settings.api.cancelRun(run.threadId, run.id), { pacer: new Pacer(), maxAttempts: 3, notFound: () => undefined }).catch(() => undefined);
  }

  /** Cancels what still runs and deletes the thread; never aborted by an interrupt. */
  private async cleanUp(): Promise<void> {
    await this.cancelActiveRun();
    const threadId = this.threadId;
    if (threadId === null) return;
    try {
      await retryPaced(() => this.settings.api.deleteThread(threadId), { pacer: new Pacer(), maxAttempts: 4, notFound: () => undefined });
      this.settings.threads.deleted.add(threadId);
    } catch (error) {
      this.settings.threads.notDeleted.set(threadId, describeError(error));
    }
  }
}

/** What the streams of one turn showed. */
interface Seen {
  /** The last state of the run of the request in flight, once its stream reported it. */
  run?: RunObject;
  /** Messages completed by the turn's runs, by id. */
  messages: Map<string, MessageObject>;
}

/** Hands out stub outputs as the run asks for them. */
class StubOutputs {
  private readonly calls = new Map<string, number>();
  private inOrder = 0;

  constructor(private readonly stubs: ToolOutputStubs) {}

  /** The output for the next call of `name`, or undefined when the test gives none. */
  next(name: string): string | undefined {
    const count = this.count(name);
    this.calls.set(name, count);
    if (this.stubs.kind === 'in-order') return this.stubs.outputs[this.inOrder++];
    const stub = Object.hasOwn(this.stubs.functions, name) ? this.stubs.functions[name] : undefined;
    if (stub === undefined) return undefined;
    return 'always' in stub ? stub.always : stub.perCall[count - 1];
  }

  /** The number of the next call of `name` (1 for the first), counting the one being answered. */
  count(name: string): number {
    return (this.calls.get(name) ?? 0) + 1;
  }
}

function textOf(message: MessageObject): string {
  return message.content.flatMap((part) => (part.type === 'text' && 'text' in part && isText(part.text) ? [part.text.value] : [])).join('\n');
}

function citationsOf(message: MessageObject): Citation[] {
  const citations: Citation[] = [];
  for (const part of message.content) {
    if (part.type !== 'text' || !('text' in part) || !isText(part.text)) continue;
    for (const annotation of part.text.annotations) {
      if (annotation.type !== 'file_citation' || !('fileCitation' in annotation)) continue;
      const cited = annotation.fileCitation as { fileId?: unknown; quote?: unknown } | undefined;
      if (typeof cited?.fileId !== 'string') continue;
      citations.push({ fileId: cited.fileId, quote: typeof cited.quote === 'string' ? cited.quote : '', text: typeof annotation.text === 'string' ? annotation.text : '' });
    }
  }
  return citations;
}

function isText(value: unknown): value is { value: string; annotations: Array<{ type: string; [key: string]: unknown }> } {
  return typeof value === 'object' && value !== null && typeof (value as { value?: unknown }).value === 'string' && Array.isArray((value as { annotations?: unknown }).annotations);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
