/**
 * The requests a conversation makes, over the client. Its own retries are off here: the
 * conversation retries through api/paced-retry.ts, as apply does, so a 429 slows every
 * test down together and a run that may have started is looked for before it is sent again.
 *
 * Clean-up (cancelling runs, deleting threads) goes through a second client that a Ctrl-C
 * does not abort: the threads of an interrupted run are deleted too.
 */
import type { AssistantsApi } from '../api/index.js';
import type { AssistantStream } from '../api/stream.js';
import type {
  CreateRunRequest,
  CreateThreadAndRunRequest,
  CreateThreadRequest,
  MessageObject,
  RunObject,
  ThreadObject,
  ToolOutput,
} from '../api/thread-models.js';

export interface ConversationApi {
  /** createThreadAndRun, streamed: the thread, its first message and a run in one request. */
  streamThreadAndRun(body: Omit<CreateThreadAndRunRequest, 'stream'>): Promise<AssistantStream>;
  createThread(body: CreateThreadRequest): Promise<ThreadObject>;
  /** createRun, streamed. */
  streamRun(threadId: string, body: Omit<CreateRunRequest, 'stream'>): Promise<AssistantStream>;
  /** submitToolOutputs, streamed. */
  streamToolOutputs(threadId: string, runId: string, outputs: ToolOutput[]): Promise<AssistantStream>;
  getRun(threadId: string, runId: string): Promise<RunObject>;
  /** The thread's runs, newest first (a conversation makes one per turn). */
  listRuns(threadId: string): Promise<RunObject[]>;
  /** The messages a run wrote, oldest first. */
  listRunMessages(threadId: string, runId: string): Promise<MessageObject[]>;
  cancelRun(threadId: string, runId: string): Promise<void>;
  deleteThread(threadId: string): Promise<void>;
}

const ONCE = { maxRetries: 0 };

/** `cleanup` is a client on the same endpoint whose requests an interrupt does not abort. */
export function createConversationApi(assistants: AssistantsApi, cleanup: AssistantsApi): ConversationApi {
  return {
    streamThreadAndRun: (body) => assistants.createThreadAndRun({ createThreadAndRunRequest: { ...body, stream: true } }, ONCE),
    createThread: (body) => assistants.createThread({ createThreadRequest: body }, ONCE),
    streamRun: (threadId, body) => assistants.createRun({ threadId, createRunRequest: { ...body, stream: true } }, ONCE),
    streamToolOutputs: (threadId, runId, toolOutputs) =>
      assistants.submitToolOutputsToRun({ threadId, runId, submitToolOutputsRunRequest: { toolOutputs, stream: true } }, ONCE),
    getRun: (threadId, runId) => assistants.getRun({ threadId, runId }, ONCE),
    listRuns: async (threadId) => (await assistants.listRuns({ threadId, order: 'desc', limit: 100 }, ONCE)).data,
    listRunMessages: async (threadId, runId) => (await assistants.listMessages({ threadId, runId, order: 'asc', limit: 100 }, ONCE)).data,
    cancelRun: async (threadId, runId) => void (await cleanup.cancelRun({ threadId, runId }, ONCE)),
    deleteThread: async (threadId) => void (await cleanup.deleteThread({ threadId }, ONCE)),
  };
}
