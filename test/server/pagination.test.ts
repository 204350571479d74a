import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { paginate } from '../../src/server/pagination.js';
import { ApiError } from '../../src/server/errors.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, errorOf } from './http.js';

describe('250 assistants over HTTP', () => {
  let server: TestServer;
  let created: string[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    // Many share one created_at second: insertion order must break the ties.
    for (let i = 0; i < 250; i++) {
      const reply = await call(server, 'POST', '/assistants', { model: 'gpt-4', name: `a${i}` });
      created.push(reply.body.id as string);
    }
  });
  afterAll(async () => {
    await server.close();
    created = [];
  });

  const page = async (query: string): Promise<{ ids: string[]; body: Record<string, unknown> }> => {
    const reply = await call(server, 'GET', `/assistants${query}`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return { ids: (reply.body.data as Array<{ id: string }>).map((a) => a.id), body: reply.body };
  };

  test('default: newest first, 20 per page', async () => {
    const { ids, body } = await page('');
    expect(ids).toEqual(created.slice(-20).reverse());
    expect(body).toMatchObject({ object: 'list', first_id: ids[0], last_id: ids[19], has_more: true });
  });

  test.each(['asc', 'desc'] as const)('forwards with after, order=%s, limit 100', async (order) => {
    const expected = order === 'asc' ? created : [...created].reverse();
    const seen: string[] = [];
    let after: string | undefined;
    const hasMore: boolean[] = [];
    for (;;) {
      const { ids, body } = await page(`?order=${order}&limit=100${after ? `&after=${after}` : ''}`);
      // The v1 SDK stops only on an empty page, so after=<last id> must give one.
      if (ids.length === 0) {
        expect(body).toMatchObject({ first_id: null, last_id: null, has_more: false });
        break;
      }
      seen.push(...ids);
      hasMore.push(body.has_more as boolean);
      after = body.last_id as string;
    }
    expect(seen).toEqual(expected);
    expect(hasMore).toEqual([true, true, false]);
  });

  test.each(['asc', 'desc'] as const)('backwards with before, order=%s, limit 30', async (order) => {
    const expected = order === 'asc' ? created : [...created].reverse();
    const last = expected[expected.length - 1] as string;
    const seen: string[] = [last];
    let before = last;
    for (;;) {
      const { ids, body } = await page(`?order=${order}&limit=30&before=${before}`);
      if (ids.length === 0) break;
      seen.unshift(...ids);
      expect(body.has_more).toBe(seen.length < 250);
      before = body.first_id as string;
    }
    expect(seen).toEqual(expected);
  });

  test('after and before together give the window between them', async () => {
    const { ids } = await page(`?order=asc&after=${created[10] as string}&before=${created[15] as string}`);
    expect(ids).toEqual(created.slice(11, 15));
  });

  test.each([
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=abc', 'limit'],
    ['?limit=1.5', 'limit'],
    ['?order=up', 'order'],
    ['?after=asst_unknown', 'after'],
    ['?before=asst_unknown', 'before'],
  ])('%s is a 400 naming %s', async (query, param) => {
    expect(errorOf(await call(server, 'GET', `/assistants${query}`))).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param,
    });
  });

  test('limit edges 1 and 100 are accepted', async () => {
    expect((await page('?limit=1')).ids).toHaveLength(1);
    expect((await page('?limit=100')).ids).toHaveLength(100);
  });

  test('exact limit and order messages', async () => {
    expect(errorOf(await call(server, 'GET', '/assistants?limit=101')).message).toBe(
      "Invalid 'limit': integer above maximum value. Expected a value less than or equal to 100, but got 101 instead.",
    );
    expect(errorOf(await call(server, 'GET', '/assistants?order=up')).message).toBe(
      "Invalid value: 'up'. Supported values are: 'asc' and 'desc'.",
    );
  });
});

describe('paginate()', () => {
  const items = Array.from({ length: 5 }, (_, i) => ({ id: `o${i}` }));
  const ids = (query: string): string[] => paginate(items, new URLSearchParams(query)).data.map((i) => i.id);

  test('an empty list', async () => {
    expect(paginate([], new URLSearchParams())).toEqual({
      object: 'list',
      data: [],
      first_id: null,
      last_id: null,
      has_more: false,
    });
  });

  test('windows', () => {
    expect(ids('')).toEqual(['o4', 'o3', 'o2', 'o1', 'o0']);
    expect(ids('order=asc&limit=2')).toEqual(['o0', 'o1']);
    expect(ids('order=asc&after=o1&limit=2')).toEqual(['o2', 'o3']);
    expect(ids('order=asc&before=o3&limit=2')).toEqual(['o1', 'o2']);
    expect(ids('after=o3')).toEqual(['o2', 'o1', 'o0']);
    expect(ids('before=o1&limit=2')).toEqual(['o3', 'o2']);
    expect(ids('order=asc&after=o4')).toEqual([]);
    expect(ids('order=asc&after=o3&before=o1')).toEqual([]);
    expect(paginate(items, new URLSearchParams('order=asc&before=o2&limit=2')).has_more).toBe(false);
    expect(paginate(items, new URLSearchParams('order=asc&before=o3&limit=2')).has_more).toBe(true);
  });

  test('throws ApiError', () => {
    expect(() => paginate(items, new URLSearchParams('limit=-1'))).toThrow(ApiError);
  });
});
