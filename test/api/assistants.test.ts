import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { AssistantObject, CreateAssistantRequest } from '../../src/index.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    // snake_case and camelCase keys inside a JSON Schema are user data: never renamed.
    parameters: {
      type: 'object',
      properties: { city_name: { type: 'string' }, unitSystem: { type: 'string', enum: ['metric', 'imperial'] } },
      required: ['city_name'],
      additionalProperties: false,
    },
  },
};

describe('assistants', () => {
  test('create, get, modify, list and delete, with user data untouched', async () => {
    const request: CreateAssistantRequest = {
      model: 'gpt-4-turbo',
      name: 'Weather bot',
      description: 'Answers about weather',
      instructions: 'Be brief.',
      tools: [{ type: 'code_interpreter' }, { type: 'retrieval' }, weatherTool],
      fileIds: [],
      metadata: { owner_team: 'infra', camelKey: 'x', 'assistants.dev/key': 'k' },
    };
    const created = await h.api.createAssistant({ createAssistantRequest: request });
    expect(created).toMatchObject({
      object: 'assistant',
      model: 'gpt-4-turbo',
      name: 'Weather bot',
      description: 'Answers about weather',
      instructions: 'Be brief.',
      fileIds: [],
    });
    expect(created.id).toMatch(/^asst_/);
    expect(typeof created.createdAt).toBe('number');
    expect(created.tools).toEqual(request.tools);
    expect(created.metadata).toEqual(request.metadata);

    const fetched = await h.api.getAssistant({ assistantId: created.id });
    expect(fetched).toEqual(created);

    const modified = await h.api.modifyAssistant({
      assistantId: created.id,
      modifyAssistantRequest: { name: 'Renamed', description: null, tools: [weatherTool], metadata: { owner_team: 'ml' } },
    });
    expect(modified).toMatchObject({ id: created.id, name: 'Renamed', description: null, instructions: 'Be brief.' });
    expect(modified.tools).toEqual([weatherTool]);
    expect(modified.metadata).toEqual({ owner_team: 'ml' });

    const listed = await h.api.listAssistants({ limit: 100 });
    expect(listed.object).toBe('list');
    expect(listed.data.map((a) => a.id)).toContain(created.id);

    const deleted = await h.api.deleteAssistant({ assistantId: created.id });
    expect(deleted).toEqual({ id: created.id, object: 'assistant.deleted', deleted: true });
  });

  test('assistant files: attach, get, list, detach', async () => {
    const file = await h.files.createFile({ file: Buffer.from('hello'), filename: 'notes.txt', purpose: 'assistants' });
    const assistant = await h.api.createAssistant({ createAssistantRequest: { model: 'gpt-4', tools: [{ type: 'retrieval' }] } });

    const attached = await h.api.createAssistantFile({ assistantId: assistant.id, createAssistantFileRequest: { fileId: file.id } });
    expect(attached).toEqual({ id: file.id, object: 'assistant.file', createdAt: expect.any(Number), assistantId: assistant.id });

    expect(await h.api.getAssistantFile({ assistantId: assistant.id, fileId: file.id })).toEqual(attached);

    const list = await h.api.listAssistantFiles({ assistantId: assistant.id });
    expect(list).toEqual({ object: 'list', data: [attached], firstId: file.id, lastId: file.id, hasMore: false });
    expect((await h.api.getAssistant({ assistantId: assistant.id })).fileIds).toEqual([file.id]);

    const detached = await h.api.deleteAssistantFile({ assistantId: assistant.id, fileId: file.id });
    expect(detached).toEqual({ id: file.id, object: 'assistant.file.deleted', deleted: true });
    expect((await h.api.listAssistantFiles({ assistantId: assistant.id })).data).toEqual([]);
    expect((await h.files.retrieveFile({ fileId: file.id })).id).toBe(file.id);
  });
});

describe('pagination', () => {
  test('250 assistants: every page by after (iterateAssistants) and by before', async () => {
    const server = await startHarness();
    onTestFinished(() => server.close());
    const ids: string[] = [];
    for (let i = 0; i < 250; i += 1) {
      const a = await server.api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: `a${i}` } });
      ids.push(a.id);
    }
    const paginator = server.api.iterateAssistants({ order: 'asc' });
    const pages: AssistantObject[][] = [];
    for await (const page of paginator.pages()) pages.push(page.data);
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(pages.flat().map((a) => a.id)).toEqual(ids);

    const desc = await server.api.iterateAssistants({ limit: 30 }).toArray();
    expect(desc.map((a) => a.id)).toEqual([...ids].reverse());

    let seen: string[] = [];
    let before: string | undefined = ids[249];
    for (;;) {
      const page = await server.api.listAssistants({ order: 'asc', limit: 100, ...(before ? { before } : {}) });
      seen = [...page.data.map((a) => a.id), ...seen];
      if (!page.hasMore || page.firstId === null) break;
      before = page.firstId;
    }
    expect(seen).toEqual(ids.slice(0, 249));

    const empty = await server.api.listAssistants({ after: ids[249], order: 'asc' });
    expect(empty).toEqual({ object: 'list', data: [], firstId: null, lastId: null, hasMore: false });
  });
});
