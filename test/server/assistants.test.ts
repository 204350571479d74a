import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, createAssistant, errorOf, upload, uploadId } from './http.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  await fetch(`${server.origin}/_admin/reset`, { method: 'POST' });
});

describe('assistant CRUD', () => {
  test('create returns the full object with defaults', async () => {
    const before = Math.floor(Date.now() / 1000);
    const reply = await call(server, 'POST', '/assistants', { model: 'gpt-4-turbo' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json');
    expect(reply.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    const a = reply.body;
    expect(a.id).toMatch(/^asst_[A-Za-z0-9]{24}$/);
    expect(a).toEqual({
      id: a.id,
      object: 'assistant',
      created_at: expect.any(Number),
      name: null,
      description: null,
      model: 'gpt-4-turbo',
      instructions: null,
      tools: [],
      file_ids: [],
      metadata: {},
    });
    expect(Object.keys(a)).toEqual([
      'id',
      'object',
      'created_at',
      'name',
      'description',
      'model',
      'instructions',
      'tools',
      'file_ids',
      'metadata',
    ]);
    expect(a.created_at as number).toBeGreaterThanOrEqual(before);
    expect(a.created_at as number).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  test('create, retrieve, modify, delete', async () => {
    const tools = [
      { type: 'code_interpreter' },
      { type: 'retrieval' },
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} } } },
    ];
    const created = await createAssistant(server, {
      name: 'Helper',
      description: 'Helps',
      instructions: 'Be kind.',
      tools,
      metadata: { team: 'a' },
    });
    expect(created).toMatchObject({ name: 'Helper', description: 'Helps', instructions: 'Be kind.', tools, metadata: { team: 'a' } });

    const got = await call(server, 'GET', `/assistants/${created.id as string}`);
    expect(got.body).toEqual(created);

    const modified = await call(server, 'POST', `/assistants/${created.id as string}`, {
      name: null,
      instructions: 'Be brief.',
      model: 'gpt-4',
      tools: [],
      metadata: { team: 'b', env: 'dev' },
    });
    expect(modified.status).toBe(200);
    expect(modified.body).toEqual({
      ...created,
      name: null,
      instructions: 'Be brief.',
      model: 'gpt-4',
      tools: [],
      metadata: { team: 'b', env: 'dev' },
    });

    const untouched = await call(server, 'POST', `/assistants/${created.id as string}`, {});
    expect(untouched.body).toEqual(modified.body);

    const deleted = await call(server, 'DELETE', `/assistants/${created.id as string}`);
    expect(deleted.body).toEqual({ id: created.id, object: 'assistant.deleted', deleted: true });
    const gone = await call(server, 'GET', `/assistants/${created.id as string}`);
    expect(errorOf(gone)).toEqual({
      status: 404,
      message: `No assistant found with id '${created.id as string}'.`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  });

  test('404 for every assistant route with an unknown id', async () => {
    const id = 'asst_doesnotexist0000000000';
    for (const [method, path, body] of [
      ['GET', `/assistants/${id}`, undefined],
      ['POST', `/assistants/${id}`, { name: 'x' }],
      ['DELETE', `/assistants/${id}`, undefined],
      ['GET', `/assistants/${id}/files`, undefined],
      ['POST', `/assistants/${id}/files`, { file_id: 'file-x' }],
      ['GET', `/assistants/${id}/files/file-x`, undefined],
      ['DELETE', `/assistants/${id}/files/file-x`, undefined],
    ] as const) {
      const reply = await call(server, method, path, body);
      expect(errorOf(reply), `${method} ${path}`).toMatchObject({
        status: 404,
        message: `No assistant found with id '${id}'.`,
        type: 'invalid_request_error',
      });
    }
  });

  test('metadata null means {} and modify replaces metadata', async () => {
    const a = await createAssistant(server, { metadata: null });
    expect(a.metadata).toEqual({});
    const m = await call(server, 'POST', `/assistants/${a.id as string}`, { metadata: { k: 'v' } });
    expect(m.body.metadata).toEqual({ k: 'v' });
    const cleared = await call(server, 'POST', `/assistants/${a.id as string}`, { metadata: null });
    expect(cleared.body.metadata).toEqual({});
  });
});

describe('assistant files', () => {
  test('file_ids and /files are one relation', async () => {
    const [f1, f2, f3] = [await uploadId(server, 'one'), await uploadId(server, 'two'), await uploadId(server, 'three')];
    const a = await createAssistant(server, { file_ids: [f1, f2] });
    expect(a.file_ids).toEqual([f1, f2]);
    const id = a.id as string;

    const listed = await call(server, 'GET', `/assistants/${id}/files?order=asc`);
    expect(listed.body).toMatchObject({ object: 'list', first_id: f1, last_id: f2, has_more: false });
    expect(listed.body.data).toEqual([
      { id: f1, object: 'assistant.file', created_at: expect.any(Number), assistant_id: id },
      { id: f2, object: 'assistant.file', created_at: expect.any(Number), assistant_id: id },
    ]);

    const attached = await call(server, 'POST', `/assistants/${id}/files`, { file_id: f3 });
    expect(attached.body).toEqual({ id: f3, object: 'assistant.file', created_at: expect.any(Number), assistant_id: id });
    expect((await call(server, 'GET', `/assistants/${id}`)).body.file_ids).toEqual([f1, f2, f3]);

    // Attaching again is harmless and changes nothing.
    const again = await call(server, 'POST', `/assistants/${id}/files`, { file_id: f3 });
    expect(again.body).toEqual(attached.body);

    const one = await call(server, 'GET', `/assistants/${id}/files/${f2}`);
    expect(one.body).toMatchObject({ id: f2, object: 'assistant.file', assistant_id: id });

    const detached = await call(server, 'DELETE', `/assistants/${id}/files/${f1}`);
    expect(detached.body).toEqual({ id: f1, object: 'assistant.file.deleted', deleted: true });
    expect((await call(server, 'GET', `/assistants/${id}`)).body.file_ids).toEqual([f2, f3]);
    expect(errorOf(await call(server, 'GET', `/assistants/${id}/files/${f1}`))).toMatchObject({
      status: 404,
      message: `No file found with id '${f1}'.`,
    });
    expect(errorOf(await call(server, 'DELETE', `/assistants/${id}/files/${f1}`)).status).toBe(404);
    // The File itself remains.
    expect((await call(server, 'GET', `/files/${f1}`)).status).toBe(200);

    // modify with file_ids replaces the set; kept links keep their place.
    const replaced = await call(server, 'POST', `/assistants/${id}`, { file_ids: [f1, f3] });
    expect(replaced.body.file_ids).toEqual([f3, f1]);
    const desc = await call(server, 'GET', `/assistants/${id}/files`);
    expect((desc.body.data as Array<{ id: string }>).map((f) => f.id)).toEqual([f1, f3]);
    expect((await call(server, 'POST', `/assistants/${id}`, { file_ids: [] })).body.file_ids).toEqual([]);
  });

  test('attaching needs an existing file with purpose assistants, and at most 20', async () => {
    const a = await createAssistant(server);
    const id = a.id as string;
    expect(errorOf(await call(server, 'POST', `/assistants/${id}/files`, {}))).toMatchObject({
      status: 400,
      message: "Missing required parameter: 'file_id'.",
      param: 'file_id',
    });
    expect(errorOf(await call(server, 'POST', `/assistants/${id}/files`, { file_id: 'file-nope' }))).toMatchObject({
      status: 400,
      message: "No file found with id 'file-nope'.",
      param: 'file_id',
    });
    expect(errorOf(await call(server, 'POST', `/assistants/${id}/files`, { file_id: 'x', extra: 1 }))).toMatchObject({
      status: 400,
      param: 'extra',
    });
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) ids.push(await uploadId(server, `file ${i}`));
    for (const fileId of ids.slice(0, 20)) {
      expect((await call(server, 'POST', `/assistants/${id}/files`, { file_id: fileId })).status).toBe(200);
    }
    expect(errorOf(await call(server, 'POST', `/assistants/${id}/files`, { file_id: ids[20] }))).toMatchObject({
      status: 400,
      param: 'file_id',
    });
    expect(((await call(server, 'GET', `/assistants/${id}`)).body.file_ids as string[]).length).toBe(20);
  });

  test('deleting an assistant removes its links; deleting a File detaches it everywhere', async () => {
    const f1 = await uploadId(server);
    const f2 = await uploadId(server);
    const a = await createAssistant(server, { file_ids: [f1, f2] });
    const b = await createAssistant(server, { file_ids: [f1] });
    expect((await call(server, 'DELETE', `/files/${f1}`)).body).toEqual({ id: f1, object: 'file', deleted: true });
    expect((await call(server, 'GET', `/assistants/${a.id as string}`)).body.file_ids).toEqual([f2]);
    expect((await call(server, 'GET', `/assistants/${b.id as string}`)).body.file_ids).toEqual([]);
    await call(server, 'DELETE', `/assistants/${a.id as string}`);
    // f2 can now be attached afresh to a new assistant.
    const c = await createAssistant(server, { file_ids: [f2] });
    expect(c.file_ids).toEqual([f2]);
  });
});

describe('validation', () => {
  const long = (n: number): string => 'x'.repeat(n);
  const fn = (name: string): Record<string, unknown> => ({ type: 'function', function: { name } });
  const meta = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

  test.each([
    ['name', { name: long(256) }, { name: long(257) }, 'name'],
    ['description', { description: long(512) }, { description: long(513) }, 'description'],
    ['instructions', { instructions: long(256_000) }, { instructions: long(256_001) }, 'instructions'],
    ['tools', { tools: Array.from({ length: 128 }, () => ({ type: 'retrieval' })) }, { tools: Array.from({ length: 129 }, () => ({ type: 'retrieval' })) }, 'tools'],
    ['function name length', { tools: [fn(long(64))] }, { tools: [fn(long(65))] }, 'tools[0].function.name'],
    ['metadata keys', { metadata: meta(16) }, { metadata: meta(17) }, 'metadata'],
    ['metadata key length', { metadata: { [long(64)]: 'v' } }, { metadata: { [long(65)]: 'v' } }, 'metadata'],
    ['metadata value length', { metadata: { k: long(512) } }, { metadata: { k: long(513) } }, 'metadata.k'],
  ])('%s: at the limit accepted, one past rejected', async (_label, ok, bad, param) => {
    const accepted = await call(server, 'POST', '/assistants', { model: 'gpt-4', ...ok });
    expect(accepted.status, JSON.stringify(accepted.body).slice(0, 300)).toBe(200);
    const rejected = await call(server, 'POST', '/assistants', { model: 'gpt-4', ...bad });
    expect(errorOf(rejected)).toMatchObject({ status: 400, type: 'invalid_request_error', param });
    // The same limits hold on modify.
    const modified = await call(server, 'POST', `/assistants/${accepted.body.id as string}`, bad);
    expect(errorOf(modified)).toMatchObject({ status: 400, param });
  });

  test('file_ids: 20 accepted, 21 rejected; unknown ids rejected', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) ids.push(await uploadId(server, `f${i}`));
    const ok = await call(server, 'POST', '/assistants', { model: 'gpt-4', file_ids: ids.slice(0, 20) });
    expect(ok.status).toBe(200);
    expect(ok.body.file_ids).toEqual(ids.slice(0, 20));
    expect(errorOf(await call(server, 'POST', '/assistants', { model: 'gpt-4', file_ids: ids }))).toMatchObject({
      status: 400,
      param: 'file_ids',
      message: 'Invalid \'file_ids\': array too long. Expected an array with maximum length 20, but got an array with length 21 instead.',
    });
    expect(errorOf(await call(server, 'POST', '/assistants', { model: 'gpt-4', file_ids: ['file-missing'] }))).toMatchObject({
      status: 400,
      param: 'file_ids',
      message: "No file found with id 'file-missing'.",
    });
    expect(errorOf(await call(server, 'POST', `/assistants/${ok.body.id as string}`, { file_ids: ['file-missing'] }))).toMatchObject({
      status: 400,
      param: 'file_ids',
    });
    const fineTune = await upload(server, '{}', 'train.jsonl', 'fine-tune');
    expect(errorOf(await call(server, 'POST', '/assistants', { model: 'gpt-4', file_ids: [fineTune.body.id] }))).toMatchObject({
      status: 400,
      param: 'file_ids',
    });
  });

  test('exact wording of common errors', async () => {
    expect(errorOf(await call(server, 'POST', '/assistants', { name: 'x' }))).toEqual({
      status: 400,
      message: "Missing required parameter: 'model'.",
      type: 'invalid_request_error',
      param: 'model',
      code: 'missing_required_parameter',
    });
    expect(errorOf(await call(server, 'POST', '/assistants', { model: 'gpt-4', foo: 1 }))).toEqual({
      status: 400,
      message: 'Unrecognized request argument supplied: foo',
      type: 'invalid_request_error',
      param: 'foo',
      code: 'unknown_parameter',
    });
    expect(errorOf(await call(server, 'POST', '/assistants', { model: 'gpt-4', name: 12 }))).toEqual({
      status: 400,
      message: "Invalid type for 'name': expected a string, but got an integer instead.",
      type: 'invalid_request_error',
      param: 'name',
      code: 'invalid_type',
    });
    expect(errorOf(await call(server, 'POST', '/assistants', { model: 'gpt-4', name: long(257) })).message).toBe(
      "Invalid 'name': string too long. Expected a string with maximum length 256, but got a string with length 257 instead.",
    );
  });

  test.each([
    [{ model: 5 }, 'model'],
    [{ model: '' }, 'model'],
    [{ model: 'm', description: false }, 'description'],
    [{ model: 'm', instructions: [] }, 'instructions'],
    [{ model: 'm', tools: {} }, 'tools'],
    [{ model: 'm', tools: ['retrieval'] }, 'tools[0]'],
    [{ model: 'm', tools: [{}] }, 'tools[0].type'],
    [{ model: 'm', tools: [{ type: 'browser' }] }, 'tools[0].type'],
    [{ model: 'm', tools: [{ type: 'retrieval', extra: true }] }, 'tools[0].extra'],
    [{ model: 'm', tools: [{ type: 'function' }] }, 'tools[0].function'],
    [{ model: 'm', tools: [{ type: 'function', function: {} }] }, 'tools[0].function.name'],
    [{ model: 'm', tools: [{ type: 'code_interpreter' }, fn('bad name')] }, 'tools[1].function.name'],
    [{ model: 'm', tools: [fn('')] }, 'tools[0].function.name'],
    [{ model: 'm', tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }, 'tools[0].function.parameters'],
    [{ model: 'm', tools: [{ type: 'function', function: { name: 'f', description: 3 } }] }, 'tools[0].function.description'],
    [{ model: 'm', tools: [{ type: 'function', function: { name: 'f', strict: true } }] }, 'tools[0].function.strict'],
    [{ model: 'm', file_ids: 'file-1' }, 'file_ids'],
    [{ model: 'm', file_ids: [1] }, 'file_ids[0]'],
    [{ model: 'm', metadata: [] }, 'metadata'],
    [{ model: 'm', metadata: 'x' }, 'metadata'],
    [{ model: 'm', metadata: { k: { n: 1 } } }, 'metadata.k'],
    [{ model: 'm', temperature: 1 }, 'temperature'],
  ])('rejects %j with param %s', async (body, param) => {
    expect(errorOf(await call(server, 'POST', '/assistants', body))).toMatchObject({ status: 400, param });
  });

  test('valid function names, tool shapes and a non-object body', async () => {
    const ok = await call(server, 'POST', '/assistants', {
      model: 'm',
      tools: [fn('a-b_C9'), { type: 'function', function: { name: 'noargs' } }],
    });
    expect(ok.body.tools).toEqual([fn('a-b_C9'), fn('noargs')]);
    expect(errorOf(await call(server, 'POST', '/assistants', [1, 2]))).toMatchObject({ status: 400, code: 'invalid_type' });
    expect(errorOf(await call(server, 'POST', '/assistants', '{"model":'))).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param: null,
    });
  });

  test('metadata keys are kept as given, even __proto__; duplicate file_ids collapse', async () => {
    const raw = '{"model":"m","metadata":{"__proto__":"x","constructor":"y"}}';
    const odd = await call(server, 'POST', '/assistants', raw);
    expect(odd.status).toBe(200);
    expect(Object.keys(odd.body.metadata as object)).toEqual(['__proto__', 'constructor']);
    const got = await call(server, 'GET', `/assistants/${odd.body.id as string}`);
    expect(Object.keys(got.body.metadata as object)).toEqual(['__proto__', 'constructor']);
    const f = await uploadId(server);
    expect((await call(server, 'POST', '/assistants', { model: 'm', file_ids: [f, f] })).body.file_ids).toEqual([f]);
  });

  test('any JSON that is not an object is a 400 on every POST route', async () => {
    const a = await createAssistant(server);
    const paths = ['/assistants', `/assistants/${a.id as string}`, `/assistants/${a.id as string}/files`];
    for (const path of paths) {
      for (const raw of ['null', '1', '"x"', 'true', '[]', '[{"model":"m"}]']) {
        const error = errorOf(await call(server, 'POST', path, raw));
        expect(error, `${path} ${raw}`).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'invalid_type' });
      }
    }
  });

  test('lengths count characters, not UTF-16 units', async () => {
    const emoji = '😀'.repeat(256);
    expect((await call(server, 'POST', '/assistants', { model: 'm', name: emoji })).status).toBe(200);
    expect(errorOf(await call(server, 'POST', '/assistants', { model: 'm', name: `${emoji}x` })).message).toContain(
      'got a string with length 257',
    );
  });
});
