/**
 * A seeded, bounded fuzz of the whole server: a few thousand requests to every route with
 * valid, mutated and random bodies, headers, paths and methods. Every answer must be the
 * API's JSON error shape (never a 5xx) or an object valid against the operation's
 * response schema in the official OpenAPI description (streams: every event); the server
 * must stay up and its memory bounded.
 *
 * Six clients send at once, each from its own seeded sequence. A failure names the seed,
 * the client and the request: FUZZ_SEED=<seed> reruns the same choices (which ids they
 * land on depends on timing).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Agent, request } from 'node:http';
import { seededRandom } from '../../src/server/faults.js';
import { settledExternalBytes, MiB } from '../support/memory.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { operations, validatorFor } from './openapi-schemas.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240415);
const REQUESTS = 4000;
const WORKERS = 6;
const API_KEY = 'sk-fuzz-0123456789abcdefghij';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ apiKey: API_KEY, runStepMs: 1, maxBodyBytes: 192 * 1024, maxUploadBytes: 32 * 1024 });
});
afterAll(async () => {
  agent.destroy();
  await server.close();
});

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const chance = (random: Random, p: number): boolean => random() < p;

/** Ids seen in answers, by the path parameters they can fill. */
class Pools {
  assistants: string[] = [];
  files: string[] = [];
  threads: string[] = [];
  messages: Array<[string, string]> = [];
  runs: Array<[string, string]> = [];
  steps: Array<[string, string, string]> = [];
  calls: Array<[string, string, string]> = [];

  /** Drops an id the server says is gone (deleted, or wiped by a reset), with what it belongs to. */
  forget(id: string): void {
    const keep = (entry: string | string[]): boolean => (typeof entry === 'string' ? entry !== id : !entry.includes(id));
    this.assistants = this.assistants.filter(keep);
    this.files = this.files.filter(keep);
    this.threads = this.threads.filter(keep);
    this.messages = this.messages.filter(keep);
    this.runs = this.runs.filter(keep);
    this.steps = this.steps.filter(keep);
    this.calls = this.calls.filter(keep);
  }

  /** Harvests every id an answer carries. */
  learn(value: unknown): void {
    const stack = [value];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (typeof next !== 'object' || next === null) continue;
      stack.push(...Object.values(next));
      const o = next as Record<string, unknown>;
      const id = typeof o.id === 'string' ? o.id : undefined;
      if (!id) continue;
      const add = <T>(list: T[], item: T): void => {
        if (list.length < 200) list.push(item);
        else list[Math.floor(Math.random() * list.length)] = item;
      };
      if (o.object === 'assistant') add(this.assistants, id);
      else if (o.object === 'file') add(this.files, id);
      else if (o.object === 'thread') add(this.threads, id);
      else if (o.object === 'thread.message' && typeof o.thread_id === 'string') add(this.messages, [o.thread_id, id]);
      else if (o.object === 'thread.run' && typeof o.thread_id === 'string') {
        add(this.runs, [o.thread_id, id]);
        add(this.threads, o.thread_id);
        const calls = (o.required_action as { submit_tool_outputs?: { tool_calls?: Array<{ id: string }> } } | null)?.submit_tool_outputs?.tool_calls;
        for (const call of calls ?? []) add(this.calls, [o.thread_id, id, call.id]);
      } else if (o.object === 'thread.run.step' && typeof o.thread_id === 'string' && typeof o.run_id === 'string') {
        add(this.steps, [o.thread_id, o.run_id, id]);
      }
    }
  }
}

const GARBAGE_IDS = ['asst_x', 'file-nope', 'thread_0', '%00', '..%2F..%2Fetc', '%zz', 'a'.repeat(3000), '%E2%9C%93', '__proto__', ' ', 'null'];

function randomString(random: Random): string {
  return pick(random, [
    '',
    'x',
    'Please call get_weather for Paris.',
    'x'.repeat(257),
    'x'.repeat(600),
    'y'.repeat(70_000),
    '✓ résumé 🙂',
    '\u0000\u001f"\\',
    '__proto__',
    'constructor',
    'auto',
    'none',
    'last_messages',
    'assistants',
    'fine-tune',
    'function',
    'code_interpreter',
    'retrieval',
    'json_object',
  ]);
}

/** A random JSON value: wide only at the top and deep only as a whole, so it stays cheap to make. */
function randomValue(random: Random, depth = 0): unknown {
  const top = depth === 0;
  switch (Math.floor(random() * (depth > 2 ? 5 : 9))) {
    case 0:
      return null;
    case 1:
      return chance(random, 0.5);
    case 2:
      return pick(random, [0, 1, -1, 256, 1.5, 1e308, -1e308, 2 ** 53 + 1, 100_000]);
    case 3:
    case 4:
      return randomString(random);
    case 5:
      return pick(random, [[], {}]);
    case 6: {
      let deep: unknown = 'bottom';
      for (let i = 0, n = pick(random, top ? [50, 99, 101, 300, 3000] : [5, 50]); i < n; i++) deep = chance(random, 0.5) ? [deep] : { a: deep };
      return deep;
    }
    case 7:
      return Array.from({ length: pick(random, top ? [1, 2, 21, 129] : [1, 2]) }, () => randomValue(random, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = 0, n = pick(random, top ? [1, 3, 17] : [1, 2]); i < n; i++) out[pick(random, ['k', `k${i}`, 'type', 'name', '__proto__', 'x'.repeat(65)])] = randomValue(random, depth + 1);
      return out;
    }
  }
}

/**
 * Stands for a schema nested 3,000 levels (9,000 of JSON): spliced into the body text, as
 * neither JSON.stringify nor structuredClone here would survive building it.
 */
const DEEP_SCHEMA = '<deep schema>';
const DEEP_SCHEMA_JSON = `${'{"type":"object","properties":{"a":'.repeat(3000)}{"type":"string"}${'},"required":["a"]}'.repeat(3000)}`;

/** A valid body for the operation, from what the pools know. */
function seedBody(random: Random, operation: string, pools: Pools, params: Record<string, string>): unknown {
  const fileIds = pools.files.slice(0, pick(random, [0, 1, 2]));
  let parameters: unknown = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  // Now and then a schema deeper than any real one, or asking for more than any real one.
  if (chance(random, 0.05)) parameters = DEEP_SCHEMA;
  if (chance(random, 0.03)) parameters = { type: 'array', minItems: 20_000, items: { type: 'string', minLength: 20_000 } };
  const weather = { type: 'function', function: { name: 'get_weather', parameters } };
  const assistantId = pools.assistants.length > 0 ? pick(random, pools.assistants) : 'asst_none';
  const runSettings = (): Record<string, unknown> => ({
    assistant_id: assistantId,
    ...(chance(random, 0.3) ? { stream: true } : {}),
    ...(chance(random, 0.2) ? { tools: [weather, { type: 'code_interpreter' }] } : {}),
    ...(chance(random, 0.2) ? { tool_choice: pick(random, ['none', 'auto', { type: 'code_interpreter' }, { type: 'function', function: { name: 'get_weather' } }]) } : {}),
    ...(chance(random, 0.2) ? { truncation_strategy: { type: 'last_messages', last_messages: pick(random, [1, null]) } } : {}),
    ...(chance(random, 0.1) ? { response_format: { type: 'json_object' } } : {}),
    ...(chance(random, 0.1) ? { max_prompt_tokens: 256, max_completion_tokens: 256 } : {}),
    ...(chance(random, 0.2) ? { metadata: { n: 1, ok: true } } : {}),
  });
  const message = (): Record<string, unknown> => ({ role: 'user', content: pick(random, ['Hello.', 'Please call get_weather for Paris.']), file_ids: fileIds.slice(0, 1) });
  switch (operation) {
    case 'POST /assistants':
      return { model: 'gpt-4-turbo', name: 'Fuzzed', instructions: 'Answer.', tools: [{ type: 'code_interpreter' }, { type: 'retrieval' }, weather], file_ids: fileIds, metadata: { team: 'fuzz' } };
    case 'POST /assistants/{assistant_id}':
      return { name: 'Renamed', description: 'd', file_ids: fileIds };
    case 'POST /assistants/{assistant_id}/files':
      return { file_id: pools.files[0] ?? 'file-none' };
    case 'POST /threads':
      return { messages: [message()], metadata: { k: 'v' } };
    case 'POST /threads/{thread_id}/messages':
      return message();
    case 'POST /threads/runs':
      return { ...runSettings(), thread: { messages: [message()] } };
    case 'POST /threads/{thread_id}/runs':
      return { ...runSettings(), additional_messages: chance(random, 0.3) ? [message()] : undefined };
    case 'POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs': {
      const calls = pools.calls.filter(([thread, run]) => thread === params.thread_id && run === params.run_id);
      return { tool_outputs: calls.map(([, , id]) => ({ tool_call_id: id, output: '21 degrees' })), ...(chance(random, 0.3) ? { stream: true } : {}) };
    }
    case 'POST /threads/{thread_id}/runs/{run_id}/cancel':
      return undefined;
    default:
      return { metadata: { k: 'v', n: 2 } };
  }
}

/** One mutation of a JSON body, or a raw body that is not JSON at all. */
function mutateBody(random: Random, body: unknown): { json: unknown } | { raw: string | Buffer } {
  const roll = random();
  if (roll < 0.35 || typeof body !== 'object' || body === null) {
    if (roll < 0.05) return { raw: pick(random, ['{"model": "gpt-4",', 'not json', '[', '{"a":1}{"b":2}', '\u0000', '{"model":"m","model":"n"}']) };
    if (roll < 0.08) return { raw: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) };
    if (roll < 0.1) return { raw: `{"instructions":"${'z'.repeat(200 * 1024)}"}` };
    if (roll < 0.2) return { json: randomValue(random) };
    return { json: body };
  }
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = Object.keys(copy);
  const times = pick(random, [1, 1, 2, 3]);
  for (let i = 0; i < times; i++) {
    const action = random();
    if (action < 0.3 && keys.length > 0) delete copy[pick(random, keys)];
    else if (action < 0.8 && keys.length > 0) copy[pick(random, keys)] = randomValue(random);
    else copy[pick(random, ['unknown', 'stream', 'metadata', 'tools', 'file_ids', 'model', 'assistant_id'])] = randomValue(random);
  }
  return { json: copy };
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** The spec operation when the path was not mutated into another one. */
  operation: string | undefined;
}

function multipartBody(random: Random): { body: Buffer; contentType: string } {
  const boundary = 'fuzzB';
  const parts = [
    `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n${pick(random, ['assistants', 'fine-tune', 'bogus', ''])}\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${pick(random, ['a.txt', 'say "hi".md', '', 'résumé.pdf'])}"\r\nContent-Type: text/plain\r\n\r\n${'Paris is in France.\n'.repeat(pick(random, [1, 10, 2000]))}\r\n`,
  ];
  if (chance(random, 0.1)) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="extra"\r\n\r\nx\r\n`);
  if (chance(random, 0.1)) parts.reverse();
  if (chance(random, 0.1)) parts.pop();
  let text = `${parts.join('')}--${boundary}--\r\n`;
  if (chance(random, 0.1)) text = text.slice(0, Math.floor(random() * text.length));
  if (chance(random, 0.05)) text = `--${boundary}${' '.repeat(5000)}`;
  return { body: Buffer.from(text), contentType: chance(random, 0.9) ? `multipart/form-data; boundary=${boundary}` : pick(random, ['multipart/form-data', 'application/json', 'text/plain']) };
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? 'missing');
}

/** Path parameters for `template` that name objects that exist together (mostly). */
function paramsFor(random: Random, template: string, pools: Pools): Record<string, string> {
  const params: Record<string, string> = {};
  const needs = (name: string): boolean => template.includes(`{${name}}`);
  if (needs('step_id') && pools.steps.length > 0) [params.thread_id, params.run_id, params.step_id] = pick(random, pools.steps);
  else if (needs('run_id') && pools.runs.length > 0) {
    const withCalls = template.endsWith('submit_tool_outputs') && pools.calls.length > 0 && chance(random, 0.7);
    [params.thread_id, params.run_id] = withCalls ? (pick(random, pools.calls).slice(0, 2) as [string, string]) : pick(random, pools.runs);
  } else if (needs('message_id') && pools.messages.length > 0) [params.thread_id, params.message_id] = pick(random, pools.messages);
  else if (needs('thread_id') && pools.threads.length > 0) params.thread_id = pick(random, pools.threads);
  if (needs('assistant_id') && pools.assistants.length > 0) params.assistant_id = pick(random, pools.assistants);
  if (needs('file_id') && pools.files.length > 0) params.file_id = pick(random, pools.files);
  for (const name of template.match(/\{(\w+)\}/g) ?? []) {
    const key = name.slice(1, -1);
    if (params[key] === undefined || chance(random, 0.04)) params[key] = encodeURIComponent(pick(random, GARBAGE_IDS)).replace(/%25/g, '%');
  }
  return params;
}

const ADMIN = ['GET /_admin/stats', 'POST /_admin/reset'];
const TEMPLATES = [...Object.keys(operations), 'GET /files/{file_id}/content', ...ADMIN];

function nextRequest(random: Random, pools: Pools): FuzzRequest {
  // Reset rarely: it empties the pools the rest feeds on.
  const candidates = TEMPLATES.filter((t) => t !== 'POST /_admin/reset' || chance(random, 0.05));
  const operation = pick(random, candidates);
  const [method, template] = operation.split(' ') as [string, string];
  const params = paramsFor(random, template, pools);
  const admin = template.startsWith('/_admin');
  let path = admin ? template : `/v1${fill(template, params)}`;
  let mutatedPath = false;
  if (chance(random, 0.05)) {
    mutatedPath = true;
    path = pick(random, [`${path}/`, path.replace('/v1/', '/v1//'), `${path}/extra`, '/v1', '/v2/assistants', '/', `/v1/${'x/'.repeat(50)}`, '/v1/threads', `${path}%`]);
  }
  if (!admin && chance(random, 0.15)) {
    const query = pick(random, ['limit=1', 'limit=0', 'limit=101', 'limit=abc', 'order=asc', 'order=up', 'after=nope', `before=${pools.assistants[0] ?? 'x'}`, 'purpose=assistants', 'run_id=run_x', 'limit=5&order=asc']);
    path = `${path}?${query}`;
  }
  const headers: Record<string, string> = { authorization: `Bearer ${API_KEY}`, 'openai-beta': 'assistants=v1', 'content-type': 'application/json' };
  if (chance(random, 0.05)) delete headers.authorization;
  else if (chance(random, 0.03)) headers.authorization = pick(random, ['Bearer sk-wrong-0123456789abcdef', 'Basic abc', 'Bearer ']);
  if (chance(random, 0.05)) delete headers['openai-beta'];
  else if (chance(random, 0.03)) headers['openai-beta'] = pick(random, ['assistants=v2', 'x'.repeat(500), 'assistants=v1, tools=v2']);
  if (chance(random, 0.03)) headers.origin = 'https://evil.example';
  let body: string | Buffer | undefined;
  let realMethod = method;
  if (chance(random, 0.03)) realMethod = pick(random, ['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE', 'GET', 'POST']);
  if (template === '/files' && method === 'POST') {
    const form = multipartBody(random);
    body = form.body;
    headers['content-type'] = form.contentType;
  } else if (realMethod === 'POST' || chance(random, 0.05)) {
    const mutated = chance(random, 0.6) ? mutateBody(random, seedBody(random, operation, pools, params)) : { json: seedBody(random, operation, pools, params) };
    if ('raw' in mutated) body = mutated.raw;
    else if (mutated.json !== undefined) body = JSON.stringify(mutated.json).replaceAll(JSON.stringify(DEEP_SCHEMA), DEEP_SCHEMA_JSON);
  }
  return { method: realMethod, path, headers, body, operation: mutatedPath || realMethod !== method || admin ? undefined : operation };
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** Connections are kept alive between requests, as SDKs do; the server closes one when it must. */
const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });

function send(fuzz: FuzzRequest, fresh = false): Promise<Answer> {
  // Framed explicitly: node's client sends a GET or HEAD body with neither length nor chunks.
  const headers = fuzz.body === undefined ? fuzz.headers : { ...fuzz.headers, 'content-length': String(Buffer.byteLength(fuzz.body)) };
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, method: fuzz.method, path: fuzz.path, headers, agent: fresh ? false : agent, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed as idle just as it was reused: the
      // request never reached it. Node's documented remedy is to send it again.
      if (!fresh && req.reusedSocket && error.code === 'ECONNRESET') resolve(send(fuzz, true));
      else reject(error);
    });
    req.end(fuzz.body);
  });
}

/** The spec operation a concrete path and method answer for (literal segments first, empty ones ignored, as the router does). */
function operationOf(method: string, path: string): string | undefined {
  const parts = ['', ...path.replace(/^\/v1/, '').split('/').filter((part) => part !== '')];
  let best: { operation: string; literals: number } | undefined;
  for (const operation of Object.keys(operations)) {
    const [m, template] = operation.split(' ') as [string, string];
    const segments = template.split('/');
    if (m !== method || segments.length !== parts.length) continue;
    if (!segments.every((segment, i) => segment.startsWith('{') || segment === parts[i])) continue;
    const literals = segments.filter((segment) => !segment.startsWith('{')).length;
    if (!best || literals > best.literals) best = { operation, literals };
  }
  return best?.operation;
}

const errorShape = validatorFor('ErrorResponse');
const streamEvent = validatorFor('AssistantStreamEvent');

/** What is wrong with the answer, or undefined when it is one the API could give. */
function problemWith(fuzz: FuzzRequest, answer: Answer, pools: Pools): string | undefined {
  if (answer.status >= 500) return `a ${answer.status}`;
  if (fuzz.method === 'HEAD') return undefined;
  if (answer.contentType.startsWith('text/event-stream')) {
    if (answer.status !== 200) return 'a stream with a status other than 200';
    for (const block of answer.text.split('\n\n').filter((b) => b.trim() !== '')) {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      if (event === 'done') continue;
      const parsed = { event, data: JSON.parse(data) as unknown };
      if (!streamEvent(parsed)) return `stream event ${event}: ${JSON.stringify(streamEvent.errors)}`;
      pools.learn(parsed.data);
    }
    return undefined;
  }
  if (answer.contentType === 'application/octet-stream') return answer.status === 200 ? undefined : 'a download with an error status';
  if (!answer.contentType.startsWith('application/json')) return `content-type ${answer.contentType}`;
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    return 'a body that is not JSON';
  }
  if (answer.status !== 200) {
    if (!errorShape(json)) return `error shape: ${JSON.stringify(errorShape.errors)}`;
    const gone = /^No [\w ]+ found with id '([^']+)'\.$/.exec((json as { error: { message: string } }).error.message)?.[1];
    if (gone) pools.forget(gone);
    return undefined;
  }
  pools.learn(json);
  // Empty segments are ignored, as the router does: `/_admin/stats/` is the stats.
  const path = `/${(fuzz.path.split('?')[0] ?? '').split('/').filter((part) => part !== '').join('/')}`;
  if (path === '/_admin/stats') return typeof (json as { requests?: unknown }).requests === 'number' ? undefined : 'stats';
  if (path === '/_admin/reset') return (json as { reset?: unknown }).reset === true ? undefined : 'reset';
  const operation = fuzz.operation ?? operationOf(fuzz.method, path);
  if (!operation) return 'a 200 for a path no operation has';
  const validate = validatorFor((operations[operation] as { response: string }).response);
  return validate(json) ? undefined : `${operation}: ${JSON.stringify(validate.errors)}`;
}

test(`${REQUESTS} fuzzed requests (seed ${SEED}): API errors or valid objects, the server up, memory bounded`, async () => {
  const pools = new Pools();
  const statuses = new Map<number, number>();
  const externalBefore = settledExternalBytes();
  const heapBefore = process.memoryUsage().heapUsed;
  // A few clients at once, each with its own seeded sequence, as real traffic comes.
  const worker = async (w: number): Promise<void> => {
    const random = seededRandom(SEED + w);
    for (let i = w; i < REQUESTS; i += WORKERS) {
      const fuzz = nextRequest(random, pools);
      const answer = await send(fuzz).catch((error: unknown) => ({ status: -1, contentType: '', text: String(error) }));
      const problem = answer.status < 0 ? `no answer: ${answer.text}` : problemWith(fuzz, answer, pools);
      if (problem) {
        const shown = typeof fuzz.body === 'string' ? fuzz.body.slice(0, 300) : fuzz.body === undefined ? '' : '<bytes>';
        expect.fail(`seed ${SEED}, client ${w}, request ${i}: ${fuzz.method} ${fuzz.path.slice(0, 200)} ${shown}\n-> ${answer.status} ${answer.text.slice(0, 500)}\n${problem}`);
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  // Every kind of answer was reached, not only refusals.
  expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 400, 401, 404, 413]));
  expect(statuses.get(200) ?? 0).toBeGreaterThan(REQUESTS / 5);
  // Still serving, and holding no more memory than the data it keeps.
  const alive = await send({ method: 'GET', path: '/v1/assistants', headers: { authorization: `Bearer ${API_KEY}`, 'openai-beta': 'assistants=v1' }, body: undefined, operation: 'GET /assistants' });
  expect(alive.status).toBe(200);
  expect(settledExternalBytes() - externalBefore).toBeLessThan(32 * MiB);
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * MiB);
});
