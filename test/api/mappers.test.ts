import { describe, expect, test } from 'vitest';
import {
  assistantFromWire,
  createAssistantToWire,
  createRunToWire,
  messageDeltaFromWire,
  messageFromWire,
  runStepFromWire,
  submitToolOutputsToWire,
} from '../../src/api/mappers.js';
import type { WireAssistant, WireMessage, WireRunStep } from '../../src/api/wire.js';

const schema = { type: 'object', properties: { snake_case: { type: 'string' }, camelCase: { type: 'integer' } }, required: ['snake_case'] };

describe('mappers rename only API fields', () => {
  test('requests: snake_case on the wire, user data untouched, unset fields omitted', () => {
    expect(
      createAssistantToWire({
        model: 'gpt-4',
        fileIds: ['file-1'],
        description: null,
        tools: [{ type: 'function', function: { name: 'f', parameters: schema } }],
        metadata: { camelKey: 'a', snake_key: 'b' },
      }),
    ).toEqual({
      model: 'gpt-4',
      file_ids: ['file-1'],
      description: null,
      tools: [{ type: 'function', function: { name: 'f', parameters: schema } }],
      metadata: { camelKey: 'a', snake_key: 'b' },
    });
    expect(
      createRunToWire({
        assistantId: 'asst_1',
        additionalMessages: [{ role: 'user', content: 'hi', fileIds: [], metadata: { someKey: 'v' } }],
        maxPromptTokens: 300,
        truncationStrategy: { type: 'last_messages', lastMessages: 2 },
        toolChoice: { type: 'function', function: { name: 'f' } },
        responseFormat: { type: 'json_object' },
        stream: false,
      }),
    ).toEqual({
      assistant_id: 'asst_1',
      additional_messages: [{ role: 'user', content: 'hi', file_ids: [], metadata: { someKey: 'v' } }],
      max_prompt_tokens: 300,
      truncation_strategy: { type: 'last_messages', last_messages: 2 },
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_object' },
      stream: false,
    });
    expect(submitToolOutputsToWire({ toolOutputs: [{ toolCallId: 'call_1', output: '{"a_b":1}' }] })).toEqual({
      tool_outputs: [{ tool_call_id: 'call_1', output: '{"a_b":1}' }],
    });
  });

  test('responses: unknown tool types and content parts from a newer API are kept as received', () => {
    const wire = {
      id: 'asst_1',
      object: 'assistant',
      created_at: 1,
      name: null,
      description: null,
      model: 'gpt-4',
      instructions: null,
      tools: [
        { type: 'file_search', file_search: { max_num_results: 5 } },
        { type: 'function', function: { name: 'f', parameters: schema } },
      ],
      file_ids: [],
      metadata: { user_key: 'x' },
    } as WireAssistant;
    const assistant = assistantFromWire(wire);
    expect(assistant.tools).toEqual([
      { type: 'file_search', file_search: { max_num_results: 5 } },
      { type: 'function', function: { name: 'f', parameters: schema } },
    ]);
    expect(assistant.metadata).toEqual({ user_key: 'x' });

    const message = messageFromWire({
      id: 'msg_1',
      object: 'thread.message',
      created_at: 1,
      thread_id: 'thread_1',
      status: 'completed',
      incomplete_details: null,
      completed_at: 2,
      incomplete_at: null,
      role: 'assistant',
      content: [
        {
          type: 'text',
          text: {
            value: 'see [1]',
            annotations: [{ type: 'file_citation', text: '[1]', file_citation: { file_id: 'file-1', quote: 'q' }, start_index: 4, end_index: 7 }],
          },
        },
        { type: 'image_file', image_file: { file_id: 'file-2' } },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
      ],
      assistant_id: 'asst_1',
      run_id: 'run_1',
      file_ids: [],
      metadata: null,
    } as WireMessage);
    expect(message.content).toEqual([
      {
        type: 'text',
        text: {
          value: 'see [1]',
          annotations: [{ type: 'file_citation', text: '[1]', fileCitation: { fileId: 'file-1', quote: 'q' }, startIndex: 4, endIndex: 7 }],
        },
      },
      { type: 'image_file', imageFile: { fileId: 'file-2' } },
      { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
    ]);
  });

  test('run steps and deltas', () => {
    const step = runStepFromWire({
      id: 'step_1',
      object: 'thread.run.step',
      created_at: 1,
      assistant_id: 'asst_1',
      thread_id: 'thread_1',
      run_id: 'run_1',
      type: 'tool_calls',
      status: 'completed',
      step_details: {
        type: 'tool_calls',
        tool_calls: [
          { id: 'c1', type: 'code_interpreter', code_interpreter: { input: 'print(1)', outputs: [{ type: 'logs', logs: '1' }, { type: 'image', image: { file_id: 'file-9' } }] } },
          { id: 'c2', type: 'function', function: { name: 'f', arguments: '{"snake_arg":1}', output: null } },
        ],
      },
      last_error: null,
      expired_at: null,
      cancelled_at: null,
      failed_at: null,
      completed_at: 2,
      metadata: null,
      usage: { completion_tokens: 1, prompt_tokens: 2, total_tokens: 3 },
    } as WireRunStep);
    expect(step.stepDetails).toEqual({
      type: 'tool_calls',
      toolCalls: [
        { id: 'c1', type: 'code_interpreter', codeInterpreter: { input: 'print(1)', outputs: [{ type: 'logs', logs: '1' }, { type: 'image', image: { fileId: 'file-9' } }] } },
        { id: 'c2', type: 'function', function: { name: 'f', arguments: '{"snake_arg":1}', output: null } },
      ],
    });
    expect(step.usage).toEqual({ completionTokens: 1, promptTokens: 2, totalTokens: 3 });

    expect(
      messageDeltaFromWire({
        id: 'msg_1',
        object: 'thread.message.delta',
        delta: { content: [{ index: 0, type: 'text', text: { value: 'He' } }, { index: 1, type: 'image_file', image_file: { file_id: 'file-3' } }] },
      }),
    ).toEqual({
      id: 'msg_1',
      object: 'thread.message.delta',
      delta: { content: [{ index: 0, type: 'text', text: { value: 'He' } }, { index: 1, type: 'image_file', imageFile: { fileId: 'file-3' } }] },
    });
  });
});
