/**
 * Several servers on one PostgreSQL schema act as one API: writers of one thread on two
 * replicas at once (commit order, one active run), a run's cancel and tool outputs on
 * another replica than its own, and a stream on a replica that stops, relaying the events
 * another replica writes once it took the run over.
 */
import { afterEach, expect, test } from 'vitest';
import { adminQuery } from '../support/pg.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, createAssistant, upload } from './http.js';
import { databaseConnection, startReplicas, type Replicas } from './pg-server.js';
import { startFakeUpstream } from './fake-chat-upstream.js';
import { ok, parseSse, postStream, settle, threadWith, weatherAssistant, WEATHER_TOOL } from './threads-support.js';

let cluster: Replicas | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const ids = (body: Record<string, unknown>): string[] => (body.data as Array<{ id: string }>).map((item) => item.id);

test('two replicas adding to one thread at once: a message appears only after those committed before it', async () => {
  cluster = await startReplicas(2);
  const [a, b] = cluster.servers as [TestServer, TestServer];
  const threadId = await threadWith(a);
  const seen: string[][] = [];
  let writing = true;
  const watching = (async () => {
    while (writing) seen.push(ids(await ok(call(b, 'GET', `/threads/${threadId}/messages?order=asc&limit=100`))));
  })();
  await Promise.all(
    Array.from({ length: 40 }, (_, i) => ok(call(i % 2 === 0 ? a : b, 'POST', `/threads/${threadId}/messages`, { role: 'user', content: `m${i}` }))),
  );
  writing = false;
  await watching;
  const final = ids(await ok(call(a, 'GET', `/threads/${threadId}/messages?order=asc&limit=100`)));
  expect(final).toHaveLength(40);
  // Every list anyone saw is a beginning of the final one: nothing was slipped in before what a reader had seen.
  for (const list of seen) expect(final.slice(0, list.length)).toEqual(list);
  expect(seen.length).toBeGreaterThan(1);
});

test('runs created on one thread from two replicas at once: one is active, the others refused as the API refuses them', async () => {
  cluster = await startReplicas(2, { runStepMs: 200 });
  const [a, b] = cluster.servers as [TestServer, TestServer];
  const assistant = await createAssistant(a, { name: 'Busy' });
  const threadId = await threadWith(a, 'hello');
  const replies = await Promise.all(
    Array.from({ length: 10 }, (_, i) => call(i % 2 === 0 ? a : b, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistant.id })),
  );
  const created = replies.filter((reply) => reply.status === 200);
  expect(created).toHaveLength(1);
  for (const reply of replies.filter((r) => r.status !== 200)) {
    expect(reply.status).toBe(400);
    expect(reply.body.error?.message).toMatch(new RegExp(`^Thread ${threadId} already has an active run`));
  }
  const refused = await call(b, 'POST', `/threads/${threadId}/messages`, { role: 'user', content: 'more' });
  expect(refused.body.error?.message).toBe(`Can't add messages to ${threadId} while a run ${created[0]?.body.id as string} is active.`);
  const active = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${cluster.schema}".runs WHERE thread_id = $1 AND active`, [threadId]);
  expect(active).toEqual([{ n: '1' }]);
});

test('a run waiting for tool outputs takes them on another replica; a run is cancelled from another replica', async () => {
  cluster = await startReplicas(2, { runStepMs: 5 });
  const [a, b] = cluster.servers as [TestServer, TestServer];
  const assistantId = await weatherAssistant(a);
  const threadId = await threadWith(a, 'What does get_weather say?');
  const run = await ok(call(a, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
  const waiting = await settle(b, threadId, run.id as string);
  expect(waiting.status).toBe('requires_action');
  const calls = (waiting.required_action as { submit_tool_outputs: { tool_calls: Array<{ id: string }> } }).submit_tool_outputs.tool_calls;
  await ok(call(b, 'POST', `/threads/${threadId}/runs/${run.id as string}/submit_tool_outputs`, { tool_outputs: calls.map((c) => ({ tool_call_id: c.id, output: 'warm' })) }));
  const done = await settle(a, threadId, run.id as string);
  expect(done.status).toBe('completed');
  const reply = ids(await ok(call(a, 'GET', `/threads/${threadId}/messages?limit=1`)))[0];
  expect(JSON.stringify(await ok(call(b, 'GET', `/threads/${threadId}/messages/${reply ?? ''}`)))).toContain('get_weather returned: warm');
  expect(b.stats().runs.taken).toBeGreaterThanOrEqual(1);

  const slowThread = await threadWith(a, 'just talk');
  const slow = await ok(call(a, 'POST', `/threads/${slowThread}/runs`, { assistant_id: assistantId, tool_choice: 'none' }));
  const cancelling = await ok(call(b, 'POST', `/threads/${slowThread}/runs/${slow.id as string}/cancel`));
  expect(cancelling.status).toBe('cancelling');
  expect((await settle(a, slowThread, slow.id as string)).status).toBe('cancelled');
});

test('a replica that stops hands its runs over, and its stream relays what the other replica writes, in order, with no gap', async () => {
  cluster = await startReplicas(2, { runStepMs: 150, runLeaseMs: 2_000, runClaimEveryMs: 50 });
  const [a, b] = cluster.servers as [TestServer, TestServer];
  const assistant = await createAssistant(a, { name: 'Relay' });
  const streaming = fetch(`${a.url}/threads/runs`, {
    method: 'POST',
    headers: a.headers,
    body: JSON.stringify({ assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: 'tell me a long story' }] } }),
  });
  const response = await streaming;
  expect(response.status).toBe(200);
  const body = response.text();
  // A holds the run; it stops (SIGTERM) while the run is under way: B claims the run and ends it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const stopping = a.close();
  const events = parseSse(await body);
  await stopping;
  expect(events.at(-1)).toEqual({ event: 'done', data: '[DONE]' });
  const runId = (JSON.parse(events.find((e) => e.event === 'thread.run.created')?.data ?? '{}') as { id: string }).id;
  const rows = await adminQuery<{ seq: number; event: string }>(`SELECT seq, event FROM "${cluster.schema}".run_events WHERE run_id = $1 ORDER BY seq`, [runId]);
  expect(rows.map((row) => row.seq)).toEqual(rows.map((_, index) => index + 1));
  // The stream is the run's events, every one, in sequence, then done.
  expect(events.slice(0, -1).map((e) => `${e.event} ${e.data}`)).toEqual(
    rows.map((row) => {
      const { event, data } = JSON.parse(row.event) as { event: string; data: unknown };
      return `${event} ${JSON.stringify(data)}`;
    }),
  );
  expect(events.map((e) => e.event)).toContain('thread.run.completed');
  expect(b.stats().runs.claimed).toBe(1);
  expect(a.stats().runs.draining).toBe(true);
});

test('retrieval on any replica: a file uploaded on one is searched by a run on another, and forgotten everywhere once deleted', async () => {
  cluster = await startReplicas(2, { runStepMs: 2 });
  const [a, b] = cluster.servers as [TestServer, TestServer];
  const text = '# Returns\n\nA purchase may be returned within 45 days with its receipt.\n\n# Shipping\n\nParcels leave the warehouse every Tuesday.\n';
  const uploaded = await upload(a, text, 'policy.md');
  expect(uploaded.status).toBe(200);
  const fileId = uploaded.body.id as string;
  const assistant = await createAssistant(a, { name: 'Clerk', tools: [{ type: 'retrieval' }], file_ids: [fileId] });
  const ask = async (server: TestServer): Promise<{ value: string; annotations: Array<{ file_citation: { file_id: string; quote: string } }> }> => {
    const threadId = await threadWith(server, 'How many days do I have to return a purchase?');
    const run = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistant.id }));
    expect((await settle(server, threadId, run.id as string)).status).toBe('completed');
    const messages = await ok(call(server, 'GET', `/threads/${threadId}/messages?run_id=${run.id as string}`));
    return (messages.data as Array<{ content: Array<{ text: { value: string; annotations: [] } }> }>)[0]?.content[0]?.text ?? { value: '', annotations: [] };
  };
  const answer = await ask(b);
  expect(answer.value).toContain('within 45 days');
  expect(answer.annotations[0]?.file_citation).toEqual({ file_id: fileId, quote: expect.stringContaining('45 days') });
  // The bytes, streamed from the database by the other replica.
  expect(await (await fetch(`${b.url}/files/${fileId}/content`, { headers: b.headers })).text()).toBe(text);

  expect((await call(a, 'DELETE', `/files/${fileId}`)).status).toBe(200);
  const after = await ask(b);
  expect(after.annotations).toEqual([]);
  expect(after.value).not.toContain('45 days');
});

test('a chat model run across replicas: streamed where it was created, its tool outputs taken and sent upstream by another, a cancel from another replica aborts the upstream request', async () => {
  const upstream = await startFakeUpstream();
  try {
    cluster = await startReplicas(2, { runStepMs: 2, runLeaseMs: 1_500, log: () => undefined, model: { type: 'chat', upstreamUrl: upstream.url, timeoutMs: 20_000 } });
    const [a, b] = cluster.servers as [TestServer, TestServer];
    const assistant = await createAssistant(a, { instructions: 'Be brief.', tools: [WEATHER_TOOL] });
    upstream.script({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Rome","unit":"celsius","days":1}' }] }, { text: 'Sunny in Rome, 24 degrees.' });
    const first = await postStream(a, '/threads/runs', { assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'Weather in Rome?' }] } });
    expect(first.events.map((e) => e.event)).toContain('thread.run.step.delta');
    const waiting = JSON.parse(first.events.find((e) => e.event === 'thread.run.requires_action')?.data ?? '{}') as {
      id: string;
      thread_id: string;
      required_action: { submit_tool_outputs: { tool_calls: Array<{ id: string }> } };
    };
    const second = await postStream(b, `/threads/${waiting.thread_id}/runs/${waiting.id}/submit_tool_outputs`, {
      tool_outputs: waiting.required_action.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: '24C, sunny' })),
    });
    const text = second.events.filter((e) => e.event === 'thread.message.delta').map((e) => (JSON.parse(e.data) as { delta: { content: Array<{ text: { value: string } }> } }).delta.content[0]?.text.value).join('');
    expect(text).toBe('Sunny in Rome, 24 degrees.');
    expect(second.events.at(-2)?.event).toBe('thread.run.completed');
    expect(upstream.requests.at(-1)?.body.messages.at(-1)).toMatchObject({ role: 'tool', content: '24C, sunny' });

    // A turn that hangs on A; the cancel arrives at B, which takes the run: A learns it lost the run when it renews, and aborts.
    upstream.script({ hang: true });
    const threadId = await threadWith(a, 'Tell me a very long story.');
    const sent = upstream.requests.length;
    const run = await ok(call(a, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistant.id }));
    for (let i = 0; i < 400 && upstream.requests.length === sent; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const abortedBefore = upstream.aborted;
    expect((await ok(call(b, 'POST', `/threads/${threadId}/runs/${run.id as string}/cancel`))).status).toBe('cancelling');
    expect((await settle(a, threadId, run.id as string)).status).toBe('cancelled');
    for (let i = 0; i < 300 && upstream.aborted === abortedBefore; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(upstream.aborted).toBe(abortedBefore + 1);
    expect(a.stats().runs.lost).toBeGreaterThanOrEqual(1);
  } finally {
    await upstream.close();
  }
});

test('a model turn whose server died in it is started again by the server that claims the run, three times in all, then the run fails', async () => {
  // Runs that stay queued on the first server, then are handed back on close.
  cluster = await startReplicas(1, { runStepMs: 60_000 });
  const [first] = cluster.servers as [TestServer];
  const assistant = await createAssistant(first, { name: 'Phoenix' });
  const created = await Promise.all(
    [1, 3].map(async (executions) => {
      const run = await ok(call(first, 'POST', '/threads/runs', { assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }));
      return { executions, run };
    }),
  );
  await first.close();
  // As a server that died in the model's turn leaves them: `executing`, no lease, due.
  for (const { executions, run } of created) {
    await adminQuery(
      `UPDATE "${cluster.schema}".run_progress SET body = (body::jsonb || $2::jsonb)::text, lease_owner = NULL, lease_token = NULL, lease_until = NULL, due_at = now() WHERE id = $1`,
      [run.id, JSON.stringify({ phase: 'think', executing: true, executions })],
    );
  }
  const next = await startTestServer({ runStepMs: 2, runClaimEveryMs: 20, database: { connection: databaseConnection(), schema: cluster.schema, poolSize: 3 } });
  try {
    const [again, given] = created;
    const ended = await settle(next, again?.run.thread_id as string, again?.run.id as string);
    expect(ended).toMatchObject({ status: 'completed', last_error: null });
    const failed = await settle(next, given?.run.thread_id as string, given?.run.id as string);
    expect(failed).toMatchObject({ status: 'failed', last_error: { code: 'server_error', message: 'The server stopped 3 times while executing this run; it is not executed again.' } });
    expect(next.stats().runs.claimed).toBe(2);
  } finally {
    await next.close();
  }
});
