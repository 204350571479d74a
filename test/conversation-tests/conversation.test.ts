/**
 * The conversation driver's recovery rules, against a scripted fake of the requests it
 * makes: a broken stream is followed by polling, an ambiguous run is looked for before it
 * is started again, stubs are handed out per call, and the thread is always deleted.
 */
import { describe, expect, it } from 'vitest';
import { APIConnectionError } from '../../src/api/errors.js';
import { messageFromWire, runFromWire } from '../../src/api/mappers.js';
import { Pacer } from '../../src/api/paced-retry.js';
import { responseError } from '../../src/api/retry.js';
import { AssistantStream } from '../../src/api/stream.js';
import type { MessageObject, RunObject, ToolOutput } from '../../src/api/thread-models.js';
import type { ConversationApi } from '../../src/conversation-tests/api.js';
import { runConversation, ThreadLedger, type ConversationSettings } from '../../src/conversation-tests/conversation.js';
import type { TestDefinition, TurnDefinition } from '../../src/manifest/test-types.js';

const details = { method: 'POST', path: '/threads/runs', baseUrl: 'http://fake/v1' };

function wireRun(id: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id, object: 'thread.run', created_at: 1, thread_id: 'thread_1', assistant_id: 'asst_1', status,
    required_action: null, last_error: null, model: 'gpt-4', instructions: '', tools: [], file_ids: [], metadata: {},
    usage: status === 'completed' ? { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } : null, ...extra,
  };
}

function wireMessage(runId: string, text: string): Record<string, unknown> {
  return {
    id: `msg_${runId}`, object: 'thread.message', created_at: 2, thread_id: 'thread_1', status: 'completed', role: 'assistant',
    content: [{ type: 'text', text: { value: text, annotations: [] } }], assistant_id: 'asst_1', run_id: runId, file_ids: [], metadata: {},
  };
}

const calling = (runId: string, calls: Array<[string, string]>): Record<string, unknown> =>
  wireRun(runId, 'requires_action', {
    required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: calls.map(([id, name]) => ({ id, type: 'function', function: { name, arguments: '{}' } })) } },
  });

/** A stream of these events; `breakAfter` events, the connection drops. */
function stream(events: Array<[string, Record<string, unknown>]>, breakAfter = Infinity): AssistantStream {
  const chunks = (async function* (): AsyncGenerator<Buffer> {
    for (const [index, [event, data]] of events.entries()) {
      if (index >= breakAfter) throw new APIConnectionError({ ...details, reason: 'ECONNRESET' });
      yield Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    }
    if (breakAfter >= events.length) yield Buffer.from('event: done\ndata: [DONE]\n\n');
  })();
  return new AssistantStream(chunks, details);
}

/** Records every call; each method does what the test scripted for it. */
class FakeApi implements ConversationApi {
  readonly calls: string[] = [];
  runs: Array<Record<string, unknown>> = [];
  polls: Array<Record<string, unknown>> = [];
  messages: Array<Record<string, unknown>> = [];
  constructor(private readonly script: Partial<Record<keyof ConversationApi, (...args: never[]) => Promise<unknown>>>) {}
  private call<T>(name: keyof ConversationApi, ...args: unknown[]): Promise<T> {
    this.calls.push(name);
    const scripted = this.script[name] as ((...a: unknown[]) => Promise<T>) | undefined;
    if (!scripted) throw new Error(`unexpected ${name}`);
    return scripted(...args);
  }
  streamThreadAndRun = (): Promise<AssistantStream> => this.call('streamThreadAndRun');
  createThread = (): Promise<never> => this.call('createThread');
  streamRun = (threadId: string): Promise<AssistantStream> => this.call('streamRun', threadId);
  streamToolOutputs = (threadId: string, runId: string, outputs: ToolOutput[]): Promise<AssistantStream> => this.call('streamToolOutputs', threadId, runId, outputs);
  getRun = (): Promise<RunObject> => this.call('getRun');
  listRuns = (): Promise<RunObject[]> => this.call('listRuns');
  listRunMessages = (): Promise<MessageObject[]> => this.call('listRunMessages');
  cancelRun = (): Promise<void> => this.call('cancelRun');
  deleteThread = (): Promise<void> => this.call('deleteThread');
}

function test(turns: Array<Partial<TurnDefinition>>): TestDefinition {
  return {
    name: 't', description: null, assistant: 'a', threshold: 1, source: { file: 'a.test.yaml', line: 1, column: 1 },
    turns: turns.map((turn) => ({ user: 'hi', files: [], run: {}, toolOutputs: { kind: 'by-name', functions: {} }, assertions: [], ...turn })),
  };
}

function settings(api: ConversationApi): ConversationSettings {
  return {
    api, pacer: new Pacer(), maxAttempts: 3, shouldStop: () => false, threadMetadata: {}, threads: new ThreadLedger(),
    turnTimeoutMs: 5_000, pollIntervalMs: 1, scrub: (text) => text,
  };
}

const created: [string, Record<string, unknown>] = ['thread.created', { id: 'thread_1', object: 'thread', created_at: 1, metadata: {} }];
const deleted = async (): Promise<void> => undefined;

describe('a conversation', () => {
  it('follows a run whose stream broke by polling it, without starting another', async () => {
    const polls = [wireRun('run_1', 'in_progress'), wireRun('run_1', 'completed')];
    const api = new FakeApi({
      streamThreadAndRun: async () => stream([created, ['thread.run.created', wireRun('run_1', 'queued')], ['thread.run.completed', wireRun('run_1', 'completed')]], 2),
      getRun: async () => runFromWire(polls.shift() as never),
      listRunMessages: async () => [messageFromWire(wireMessage('run_1', 'Hello there') as never)],
      deleteThread: deleted,
    });
    const ledger = settings(api);
    const result = await runConversation(test([{}]), { assistantId: 'asst_1', fileIds: new Map() }, ledger);
    expect(result.failure).toBeNull();
    expect(result.turns[0]!.observation).toMatchObject({ status: 'completed', reply: 'Hello there', usage: { totalTokens: 7 } });
    expect(api.calls).toEqual(['streamThreadAndRun', 'getRun', 'getRun', 'listRunMessages', 'deleteThread']);
    expect([...ledger.threads.created]).toEqual(['thread_1']);
    expect([...ledger.threads.deleted]).toEqual(['thread_1']);
  });

  it('looks for a later turn\'s run after an ambiguous failure, and takes the one it finds', async () => {
    const api = new FakeApi({
      streamThreadAndRun: async () => stream([created, ['thread.run.completed', wireRun('run_1', 'completed')], ['thread.message.completed', wireMessage('run_1', 'one')]]),
      streamRun: async () => {
        throw new APIConnectionError({ ...details, reason: 'ECONNRESET' });
      },
      listRuns: async () => [runFromWire(wireRun('run_2', 'completed') as never), runFromWire(wireRun('run_1', 'completed') as never)],
      listRunMessages: async () => [messageFromWire(wireMessage('run_2', 'two') as never)],
      deleteThread: deleted,
    });
    const result = await runConversation(test([{}, {}]), { assistantId: 'asst_1', fileIds: new Map() }, settings(api));
    expect(result.failure).toBeNull();
    expect(result.turns.map((turn) => turn.observation?.reply)).toEqual(['one', 'two']);
    expect(api.calls.filter((call) => call === 'streamRun')).toHaveLength(1);
  });

  it('hands out stubs per call, retries a 5xx, and cancels a run that asks for a stub the test lacks', async () => {
    const submitted: ToolOutput[][] = [];
    let failNext = true;
    const api = new FakeApi({
      streamThreadAndRun: async () => stream([created, ['thread.run.requires_action', calling('run_1', [['c1', 'lookup'], ['c2', 'lookup']])]]),
      streamToolOutputs: async (...args: never[]) => {
        if (failNext) {
          failNext = false;
          throw responseError({ ...details, status: 500 }, () => undefined);
        }
        submitted.push(args[2] as unknown as ToolOutput[]);
        return stream([['thread.run.requires_action', calling('run_1', [['c3', 'lookup']])]]);
      },
      getRun: async () => runFromWire(calling('run_1', [['c1', 'lookup'], ['c2', 'lookup']]) as never),
      cancelRun: async () => undefined,
      deleteThread: deleted,
    });
    const result = await runConversation(
      test([{ toolOutputs: { kind: 'by-name', functions: { lookup: { perCall: ['first', 'second'] } } } }]),
      { assistantId: 'asst_1', fileIds: new Map() },
      settings(api),
    );
    expect(submitted).toEqual([[{ toolCallId: 'c1', output: 'first' }, { toolCallId: 'c2', output: 'second' }]]);
    expect(result.turns[0]!.observation?.calls.map((c) => c.name)).toEqual(['lookup', 'lookup', 'lookup']);
    expect(result.failure).toBe(
      'turn 1: status: expected the run to end completed, got requires_action (the run asked for the output of call 3 of lookup, and tool_outputs has none for it)',
    );
    expect(api.calls.slice(-2)).toEqual(['cancelRun', 'deleteThread']);
  });

  it('deletes its thread when a turn fails for good, and says why', async () => {
    const api = new FakeApi({
      streamThreadAndRun: async () => stream([created, ['error', { error: { message: 'the server reset' } }]]),
      deleteThread: deleted,
    });
    const result = await runConversation(test([{}, {}]), { assistantId: 'asst_1', fileIds: new Map() }, settings(api));
    expect(result.failure).toBe("turn 1: the run's event stream reported an error: the server reset");
    expect(result.turns).toHaveLength(0);
    expect(api.calls).toEqual(['streamThreadAndRun', 'deleteThread']);
  });
});
