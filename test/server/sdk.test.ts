/** The official v1-era SDK (openai@4.36.0), unchanged, against the local server. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let openai: OpenAI;
beforeAll(async () => {
  server = await startTestServer();
  openai = new OpenAI({ apiKey: server.apiKey, baseURL: server.url, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

test('assistants: create, list every page, retrieve, update, delete', async () => {
  const created: string[] = [];
  for (let i = 0; i < 45; i++) {
    const assistant = await openai.beta.assistants.create({
      model: 'gpt-4-turbo',
      name: `sdk-${i}`,
      instructions: 'Be helpful.',
      tools: [{ type: 'code_interpreter' }, { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      metadata: { i: String(i) },
    });
    expect(assistant.object).toBe('assistant');
    created.push(assistant.id);
  }
  const seen: string[] = [];
  for await (const assistant of openai.beta.assistants.list({ limit: 10, order: 'asc' })) seen.push(assistant.id);
  expect(seen).toEqual(created);

  const first = created[0] as string;
  const got = await openai.beta.assistants.retrieve(first);
  expect(got).toMatchObject({ id: first, name: 'sdk-0', file_ids: [], metadata: { i: '0' } });

  const updated = await openai.beta.assistants.update(first, { name: 'renamed', metadata: { i: 'x' } });
  expect(updated).toMatchObject({ id: first, name: 'renamed', instructions: 'Be helpful.', metadata: { i: 'x' } });

  const deleted = await openai.beta.assistants.del(first);
  expect(deleted).toEqual({ id: first, object: 'assistant.deleted', deleted: true });
  await expect(openai.beta.assistants.retrieve(first)).rejects.toMatchObject({
    status: 404,
    message: `404 No assistant found with id '${first}'.`,
    type: 'invalid_request_error',
  });
});

test('files and assistant files', async () => {
  const file = await openai.files.create({ file: await toFile(Buffer.from('hello from the sdk'), 'a.txt'), purpose: 'assistants' });
  expect(file).toMatchObject({ object: 'file', filename: 'a.txt', bytes: 18, purpose: 'assistants' });
  expect(await (await openai.files.content(file.id)).text()).toBe('hello from the sdk');
  expect((await openai.files.retrieve(file.id)).id).toBe(file.id);

  const assistant = await openai.beta.assistants.create({ model: 'gpt-4-turbo', tools: [{ type: 'retrieval' }] });
  const attached = await openai.beta.assistants.files.create(assistant.id, { file_id: file.id });
  expect(attached).toMatchObject({ id: file.id, object: 'assistant.file', assistant_id: assistant.id });

  const listed: string[] = [];
  for await (const f of openai.beta.assistants.files.list(assistant.id)) listed.push(f.id);
  expect(listed).toEqual([file.id]);
  expect((await openai.beta.assistants.retrieve(assistant.id)).file_ids).toEqual([file.id]);

  expect(await openai.beta.assistants.files.retrieve(assistant.id, file.id)).toEqual(attached);
  expect(await openai.beta.assistants.files.del(assistant.id, file.id)).toEqual({
    id: file.id,
    object: 'assistant.file.deleted',
    deleted: true,
  });
  const files: string[] = [];
  for await (const f of openai.files.list({ purpose: 'assistants' })) files.push(f.id);
  expect(files).toContain(file.id);
  expect(await openai.files.del(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
});

test('SDK errors carry the server error fields', async () => {
  await expect(openai.beta.assistants.create({ model: 'gpt-4', name: 'x'.repeat(257) })).rejects.toMatchObject({
    status: 400,
    param: 'name',
    code: 'string_above_max_length',
  });
  const wrongKey = new OpenAI({ apiKey: '', baseURL: server.url, maxRetries: 0, defaultHeaders: { authorization: 'Bearer ' } });
  await expect(wrongKey.beta.assistants.list()).rejects.toMatchObject({ status: 401 });
});
