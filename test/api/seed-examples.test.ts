/**
 * Every example of docs/reference/AssistantsApi.md, run through our client against the
 * local server. Each request object is the seed's, with only placeholder ids replaced by
 * real ones and the placeholder values `model: null`, `tools: [null]`, `toolChoice: null`
 * and `responseFormat: null` replaced by real values. Setup calls that are not seed
 * examples are marked `setup:`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AssistantStream, AssistantsApi, FilesApi, createConfiguration, pollRun } from '../../src/index.js';
import type {
  AssistantsApiCancelRunRequest,
  AssistantsApiCreateAssistantFileRequest,
  AssistantsApiCreateAssistantRequest,
  AssistantsApiCreateMessageRequest,
  AssistantsApiCreateRunRequest,
  AssistantsApiCreateThreadAndRunRequest,
  AssistantsApiCreateThreadRequest,
  AssistantsApiDeleteAssistantFileRequest,
  AssistantsApiDeleteAssistantRequest,
  AssistantsApiDeleteThreadRequest,
  AssistantsApiGetAssistantFileRequest,
  AssistantsApiGetAssistantRequest,
  AssistantsApiGetMessageFileRequest,
  AssistantsApiGetMessageRequest,
  AssistantsApiGetRunRequest,
  AssistantsApiGetRunStepRequest,
  AssistantsApiGetThreadRequest,
  AssistantsApiListAssistantFilesRequest,
  AssistantsApiListAssistantsRequest,
  AssistantsApiListMessageFilesRequest,
  AssistantsApiListMessagesRequest,
  AssistantsApiListRunStepsRequest,
  AssistantsApiListRunsRequest,
  AssistantsApiModifyAssistantRequest,
  AssistantsApiModifyMessageRequest,
  AssistantsApiModifyRunRequest,
  AssistantsApiModifyThreadRequest,
  AssistantsApiSubmitToolOuputsToRunRequest,
  FunctionTool,
  RunObject,
} from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

let server: RunningServer;
let configuration: ReturnType<typeof createConfiguration>;
let apiInstance: AssistantsApi;
let files: FilesApi;

/** A real value for the seed's `tools: [null]` placeholder. */
const realTool: FunctionTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

/** Real ids, filled in as the examples run. */
const ids = {
  assistant: '',
  fileIds: [] as string[],
  thread: '',
  message: '',
  fileMessage: '',
  run: '',
  toolRun: '',
  toolCallId: '',
  cancelRun: '',
  step: '',
  otherThread: '',
};

const savedEnv = { key: process.env['OPENAI_API_KEY'], url: process.env['OPENAI_BASE_URL'] };

beforeAll(async () => {
  server = await startServer({ port: 0 });
  // The seed calls createConfiguration() with no options: point the environment at the server.
  process.env['OPENAI_API_KEY'] = 'sk-seed-examples-0123456789';
  process.env['OPENAI_BASE_URL'] = server.url;
  configuration = createConfiguration();
  apiInstance = new AssistantsApi(configuration);
  files = new FilesApi(configuration);
  for (const name of ['a.txt', 'b.txt', 'c.txt']) {
    const file = await files.createFile({ file: Buffer.from(`contents of ${name}`), filename: name, purpose: 'assistants' }); // setup:
    ids.fileIds.push(file.id);
  }
});
afterAll(async () => {
  await configuration.close();
  await server.close();
  for (const [name, value] of [['OPENAI_API_KEY', savedEnv.key], ['OPENAI_BASE_URL', savedEnv.url]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** `after` and `before` around the middle item of a list (newest first), and that item. */
function window(idsNewestFirst: string[], index: number): { after: string; before: string; inside: string } {
  const after = idsNewestFirst[index - 1];
  const inside = idsNewestFirst[index];
  const before = idsNewestFirst[index + 1];
  if (!after || !inside || !before) throw new Error(`no window around item ${index} of ${idsNewestFirst.length}`);
  return { after, before, inside };
}

async function requireActionRun(content: string): Promise<RunObject> {
  await apiInstance.createMessage({ threadId: ids.thread, createMessageRequest: { role: 'user', content } }); // setup:
  const run = await apiInstance.createRun({ threadId: ids.thread, createRunRequest: { assistantId: ids.assistant } }); // setup:
  const waiting = await pollRun(apiInstance, { threadId: ids.thread, runId: run.id }, { intervalMs: 10, timeoutMs: 10_000 });
  expect(waiting.status).toBe('requires_action');
  return waiting;
}

describe('every seed example against the local server', () => {
  test('createAssistant', async () => {
    const request: AssistantsApiCreateAssistantRequest = {
      createAssistantRequest: {
        model: 'gpt-4-turbo',
        name: 'name_example',
        description: 'description_example',
        instructions: 'instructions_example',
        tools: [realTool],
        fileIds: [],
        metadata: {},
      },
    };
    const data = await apiInstance.createAssistant(request);
    expect(data).toMatchObject({ object: 'assistant', name: 'name_example', tools: [realTool], fileIds: [], metadata: {} });
    ids.assistant = data.id;
  });

  test('createAssistantFile', async () => {
    for (const fileId of ids.fileIds) {
      const request: AssistantsApiCreateAssistantFileRequest = {
        assistantId: ids.assistant,
        createAssistantFileRequest: {
          fileId,
        },
      };
      const data = await apiInstance.createAssistantFile(request);
      expect(data).toMatchObject({ id: fileId, object: 'assistant.file', assistantId: ids.assistant });
    }
  });

  test('getAssistant', async () => {
    const request: AssistantsApiGetAssistantRequest = {
      assistantId: ids.assistant,
    };
    const data = await apiInstance.getAssistant(request);
    expect(data.fileIds).toEqual(ids.fileIds);
  });

  test('getAssistantFile', async () => {
    const request: AssistantsApiGetAssistantFileRequest = {
      assistantId: ids.assistant,
      fileId: ids.fileIds[0] ?? '',
    };
    const data = await apiInstance.getAssistantFile(request);
    expect(data).toMatchObject({ id: ids.fileIds[0], object: 'assistant.file' });
  });

  test('listAssistantFiles', async () => {
    const all = await apiInstance.listAssistantFiles({ assistantId: ids.assistant, limit: 100 }); // setup:
    const { after, before, inside } = window(all.data.map((f) => f.id), 1);
    const request: AssistantsApiListAssistantFilesRequest = {
      assistantId: ids.assistant,
      limit: 20,
      order: 'desc',
      after,
      before,
    };
    const data = await apiInstance.listAssistantFiles(request);
    expect(data.data.map((f) => f.id)).toEqual([inside]);
  });

  test('listAssistants', async () => {
    for (const name of ['second', 'third']) {
      await apiInstance.createAssistant({ createAssistantRequest: { model: 'gpt-4', name } }); // setup:
    }
    const all = await apiInstance.listAssistants({ limit: 100 }); // setup:
    const { after, before, inside } = window(all.data.map((a) => a.id), 1);
    const request: AssistantsApiListAssistantsRequest = {
      limit: 20,
      order: 'desc',
      after,
      before,
    };
    const data = await apiInstance.listAssistants(request);
    expect(data.data.map((a) => a.id)).toEqual([inside]);
  });

  test('modifyAssistant', async () => {
    const request: AssistantsApiModifyAssistantRequest = {
      assistantId: ids.assistant,
      modifyAssistantRequest: {
        model: 'model_example',
        name: 'name_example',
        description: 'description_example',
        instructions: 'instructions_example',
        tools: [realTool],
        fileIds: [],
        metadata: {},
      },
    };
    const data = await apiInstance.modifyAssistant(request);
    expect(data).toMatchObject({ id: ids.assistant, model: 'model_example', fileIds: [] });
  });

  test('createThread', async () => {
    const request: AssistantsApiCreateThreadRequest = {
      createThreadRequest: {
        messages: [
          {
            role: 'user',
            content: 'content_example',
            fileIds: [],
            metadata: {},
          },
        ],
        metadata: {},
      },
    };
    const data = await apiInstance.createThread(request);
    expect(data).toMatchObject({ object: 'thread', metadata: {} });
    ids.thread = data.id;
  });

  test('getThread', async () => {
    const request: AssistantsApiGetThreadRequest = {
      threadId: ids.thread,
    };
    const data = await apiInstance.getThread(request);
    expect(data.id).toBe(ids.thread);
  });

  test('modifyThread', async () => {
    const request: AssistantsApiModifyThreadRequest = {
      threadId: ids.thread,
      modifyThreadRequest: {
        metadata: {},
      },
    };
    const data = await apiInstance.modifyThread(request);
    expect(data).toMatchObject({ id: ids.thread, metadata: {} });
  });

  test('createRun', async () => {
    const request: AssistantsApiCreateRunRequest = {
      threadId: ids.thread,
      createRunRequest: {
        assistantId: ids.assistant,
        model: 'gpt-4-turbo',
        instructions: 'instructions_example',
        additionalInstructions: 'additionalInstructions_example',
        additionalMessages: [
          {
            role: 'user',
            content: 'content_example',
            fileIds: [],
            metadata: {},
          },
        ],
        tools: [realTool],
        metadata: {},
        temperature: 1,
        stream: true,
        maxPromptTokens: 256,
        maxCompletionTokens: 256,
        truncationStrategy: {
          type: 'auto',
          lastMessages: 1,
        },
        toolChoice: 'auto',
        responseFormat: 'auto',
      },
    };
    const data = await apiInstance.createRun(request);
    if (!(data instanceof AssistantStream)) throw new Error('stream: true must give an AssistantStream');
    const run = await data.finalRun();
    expect(run).toMatchObject({ threadId: ids.thread, status: 'completed', model: 'gpt-4-turbo', temperature: 1 });
    expect(run.truncationStrategy).toEqual({ type: 'auto', lastMessages: 1 });
    ids.run = run.id;
  });

  test('createMessage', async () => {
    const request: AssistantsApiCreateMessageRequest = {
      threadId: ids.thread,
      createMessageRequest: {
        role: 'user',
        content: 'content_example',
        fileIds: [],
        metadata: {},
      },
    };
    const data = await apiInstance.createMessage(request);
    expect(data).toMatchObject({ object: 'thread.message', threadId: ids.thread, role: 'user' });
    expect(data.content).toEqual([{ type: 'text', text: { value: 'content_example', annotations: [] } }]);
    ids.message = data.id;
  });

  test('getMessage', async () => {
    const request: AssistantsApiGetMessageRequest = {
      threadId: ids.thread,
      messageId: ids.message,
    };
    const data = await apiInstance.getMessage(request);
    expect(data.id).toBe(ids.message);
  });

  test('listMessages', async () => {
    // The cursors must name messages of the filtered list: its newest and its oldest.
    const ofRun = (await apiInstance.listMessages({ threadId: ids.thread, runId: ids.run, limit: 100 })).data; // setup:
    expect(ofRun.some((m) => m.role === 'assistant')).toBe(true);
    const newestFirst = ofRun.map((m) => m.id);
    const request: AssistantsApiListMessagesRequest = {
      threadId: ids.thread,
      limit: 20,
      order: 'desc',
      after: newestFirst[0] ?? '',
      before: newestFirst[newestFirst.length - 1] ?? '',
      runId: ids.run,
    };
    const data = await apiInstance.listMessages(request);
    expect(data.data.map((m) => m.id)).toEqual(newestFirst.slice(1, -1));
    expect(data.data.every((m) => m.runId === ids.run)).toBe(true);
  });

  test('modifyMessage', async () => {
    const request: AssistantsApiModifyMessageRequest = {
      threadId: ids.thread,
      messageId: ids.message,
      modifyMessageRequest: {
        metadata: {},
      },
    };
    const data = await apiInstance.modifyMessage(request);
    expect(data).toMatchObject({ id: ids.message, metadata: {} });
  });

  test('getMessageFile', async () => {
    const withFiles = await apiInstance.createMessage({
      threadId: ids.thread,
      createMessageRequest: { role: 'user', content: 'see the files', fileIds: ids.fileIds },
    }); // setup:
    ids.fileMessage = withFiles.id;
    const request: AssistantsApiGetMessageFileRequest = {
      threadId: ids.thread,
      messageId: ids.fileMessage,
      fileId: ids.fileIds[0] ?? '',
    };
    const data = await apiInstance.getMessageFile(request);
    expect(data).toMatchObject({ id: ids.fileIds[0], object: 'thread.message.file', messageId: ids.fileMessage });
  });

  test('listMessageFiles', async () => {
    const all = await apiInstance.listMessageFiles({ threadId: ids.thread, messageId: ids.fileMessage, limit: 100 }); // setup:
    const { after, before, inside } = window(all.data.map((f) => f.id), 1);
    const request: AssistantsApiListMessageFilesRequest = {
      threadId: ids.thread,
      messageId: ids.fileMessage,
      limit: 20,
      order: 'desc',
      after,
      before,
    };
    const data = await apiInstance.listMessageFiles(request);
    expect(data.data.map((f) => f.id)).toEqual([inside]);
  });

  test('getRun', async () => {
    const request: AssistantsApiGetRunRequest = {
      threadId: ids.thread,
      runId: ids.run,
    };
    const data = await apiInstance.getRun(request);
    expect(data).toMatchObject({ id: ids.run, status: 'completed' });
  });

  test('modifyRun', async () => {
    const request: AssistantsApiModifyRunRequest = {
      threadId: ids.thread,
      runId: ids.run,
      modifyRunRequest: {
        metadata: {},
      },
    };
    const data = await apiInstance.modifyRun(request);
    expect(data).toMatchObject({ id: ids.run, metadata: {} });
  });

  test('submitToolOuputsToRun', async () => {
    const waiting = await requireActionRun('What does get_weather say for Paris?');
    ids.toolRun = waiting.id;
    ids.toolCallId = waiting.requiredAction?.submitToolOutputs.toolCalls[0]?.id ?? '';
    const request: AssistantsApiSubmitToolOuputsToRunRequest = {
      threadId: ids.thread,
      runId: ids.toolRun,
      submitToolOutputsRunRequest: {
        toolOutputs: [
          {
            toolCallId: ids.toolCallId,
            output: 'output_example',
          },
        ],
        stream: true,
      },
    };
    const data = await apiInstance.submitToolOuputsToRun(request);
    if (!(data instanceof AssistantStream)) throw new Error('stream: true must give an AssistantStream');
    expect((await data.finalRun()).status).toBe('completed');
  });

  test('cancelRun', async () => {
    ids.cancelRun = (await requireActionRun('Call get_weather for Oslo')).id;
    const request: AssistantsApiCancelRunRequest = {
      threadId: ids.thread,
      runId: ids.cancelRun,
    };
    const data = await apiInstance.cancelRun(request);
    expect(data).toMatchObject({ id: ids.cancelRun, status: expect.stringMatching(/^cancell(ing|ed)$/) });
  });

  test('listRuns', async () => {
    const all = await apiInstance.listRuns({ threadId: ids.thread, limit: 100 }); // setup:
    const { after, before, inside } = window(all.data.map((r) => r.id), 1);
    const request: AssistantsApiListRunsRequest = {
      threadId: ids.thread,
      limit: 20,
      order: 'desc',
      after,
      before,
    };
    const data = await apiInstance.listRuns(request);
    expect(data.data.map((r) => r.id)).toEqual([inside]);
    expect(inside).toBe(ids.toolRun);
  });

  test('listRunSteps', async () => {
    const all = await apiInstance.listRunSteps({ threadId: ids.thread, runId: ids.toolRun, limit: 100 }); // setup:
    const [newest, oldest] = all.data.map((s) => s.id);
    const request: AssistantsApiListRunStepsRequest = {
      threadId: ids.thread,
      runId: ids.toolRun,
      limit: 20,
      order: 'desc',
      after: oldest ?? '',
      before: newest ?? '',
    };
    const data = await apiInstance.listRunSteps(request);
    // Two steps (tool_calls, then message_creation): nothing is older than the oldest.
    expect(all.data.map((s) => s.type)).toEqual(['message_creation', 'tool_calls']);
    expect(data.data).toEqual([]);
    ids.step = oldest ?? '';
  });

  test('getRunStep', async () => {
    const request: AssistantsApiGetRunStepRequest = {
      threadId: ids.thread,
      runId: ids.toolRun,
      stepId: ids.step,
    };
    const data = await apiInstance.getRunStep(request);
    expect(data).toMatchObject({ id: ids.step, type: 'tool_calls', status: 'completed' });
  });

  test('createThreadAndRun', async () => {
    const request: AssistantsApiCreateThreadAndRunRequest = {
      createThreadAndRunRequest: {
        assistantId: ids.assistant,
        thread: {
          messages: [
            {
              role: 'user',
              content: 'content_example',
              fileIds: [],
              metadata: {},
            },
          ],
          metadata: {},
        },
        model: 'gpt-4-turbo',
        instructions: 'instructions_example',
        tools: [realTool],
        metadata: {},
        temperature: 1,
        stream: true,
        maxPromptTokens: 256,
        maxCompletionTokens: 256,
        truncationStrategy: {
          type: 'auto',
          lastMessages: 1,
        },
        toolChoice: 'auto',
        responseFormat: 'auto',
      },
    };
    const data = await apiInstance.createThreadAndRun(request);
    if (!(data instanceof AssistantStream)) throw new Error('stream: true must give an AssistantStream');
    const run = await data.finalRun();
    expect(run.status).toBe('completed');
    ids.otherThread = run.threadId;
  });

  test('deleteThread', async () => {
    const request: AssistantsApiDeleteThreadRequest = {
      threadId: ids.otherThread,
    };
    const data = await apiInstance.deleteThread(request);
    expect(data).toEqual({ id: ids.otherThread, object: 'thread.deleted', deleted: true });
  });

  test('deleteAssistantFile', async () => {
    await apiInstance.createAssistantFile({ assistantId: ids.assistant, createAssistantFileRequest: { fileId: ids.fileIds[0] ?? '' } }); // setup:
    const request: AssistantsApiDeleteAssistantFileRequest = {
      assistantId: ids.assistant,
      fileId: ids.fileIds[0] ?? '',
    };
    const data = await apiInstance.deleteAssistantFile(request);
    expect(data).toEqual({ id: ids.fileIds[0], object: 'assistant.file.deleted', deleted: true });
  });

  test('deleteAssistant', async () => {
    const request: AssistantsApiDeleteAssistantRequest = {
      assistantId: ids.assistant,
    };
    const data = await apiInstance.deleteAssistant(request);
    expect(data).toEqual({ id: ids.assistant, object: 'assistant.deleted', deleted: true });
  });
});
