/**
 * Retrieval over attached files, through the API: a run with the retrieval tool over a
 * 50-page handbook records a `retrieval` step and answers with a `file_citation` whose quote
 * is found in the file, with the stand-in model and with a chat upstream (which is shown
 * the passages, numbered, and cites one in its streamed reply); a real PDF is read; what
 * cannot be indexed is refused at upload in the API's error shape, keeping nothing; the
 * index survives a restart and forgets deleted files.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp-dir.js';
import { startFakeUpstream, type FakeUpstream } from './fake-chat-upstream.js';
import { handbookMarkdown, handbookPages } from './fixtures/handbook.js';
import { call, errorOf, upload } from './http.js';
import { validatorFor } from './openapi-schemas.js';
import { ok, parseSse, postStream, settle, threadWith } from './threads-support.js';

const handbook = handbookMarkdown();
const pdfFixture = new URL('./fixtures/handbook-excerpt.pdf', import.meta.url);

interface Citation {
  type: string;
  text: string;
  file_citation: { file_id: string; quote: string };
  start_index: number;
  end_index: number;
}

async function uploadOk(server: TestServer, content: string | Uint8Array, filename: string): Promise<string> {
  const reply = await upload(server, content, filename);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body.id as string;
}

async function askOnce(server: TestServer, assistantId: string, question: string): Promise<{ run: Record<string, any>; message: Record<string, any> }> {
  const threadId = await threadWith(server, question);
  const created = await ok(call(server, 'POST', `/threads/${threadId}/runs`, { assistant_id: assistantId }));
  const run = await settle(server, threadId, created.id as string);
  const messages = await ok(call(server, 'GET', `/threads/${threadId}/messages?run_id=${run.id as string}`));
  return { run, message: (messages.data as Array<Record<string, any>>)[0] ?? {} };
}

/** Text with each run of white space as one space: a PDF's text is its words, wrapped anywhere. */
const words = (text: string): string => text.replace(/\s+/g, ' ');

/**
 * The message's citations, each checked: it covers its marker, and its quote is found in
 * `source` (word for word, for a PDF).
 */
function citationsOf(message: Record<string, any>, source: string, compare: (text: string) => string = (text) => text): Citation[] {
  const { value, annotations } = message.content[0].text as { value: string; annotations: Citation[] };
  for (const citation of annotations) {
    expect(value.slice(citation.start_index, citation.end_index)).toBe(citation.text);
    expect(compare(source)).toContain(compare(citation.file_citation.quote));
  }
  return annotations;
}

describe('with the stand-in model', () => {
  let server: TestServer;
  let handbookId: string;
  let assistantId: string;
  beforeAll(async () => {
    server = await startTestServer({ runStepMs: 2 });
    handbookId = await uploadOk(server, handbook, 'handbook.md');
    const assistant = await ok(call(server, 'POST', '/assistants', { model: 'gpt-4', name: 'Helpdesk', tools: [{ type: 'retrieval' }], file_ids: [handbookId] }));
    assistantId = assistant.id as string;
  });
  afterAll(() => server.close());

  test('a question over the 50-page handbook is answered with a citation of the passage that answers it', async () => {
    const { run, message } = await askOnce(server, assistantId, 'Do gift cards expire, and how much can I load onto one?');
    expect(run.status).toBe('completed');
    const steps = await ok(call(server, 'GET', `/threads/${run.thread_id as string}/runs/${run.id as string}/steps?order=asc`));
    expect((steps.data as Array<Record<string, any>>).map((step) => step.step_details.type)).toEqual(['tool_calls', 'message_creation']);
    expect((steps.data as Array<Record<string, any>>)[0]?.step_details.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'retrieval', retrieval: {} }]);

    const [first] = citationsOf(message, handbook);
    expect(first).toMatchObject({ type: 'file_citation', text: '【1†source】', file_citation: { file_id: handbookId } });
    expect(first?.file_citation.quote).toBe('Gift cards never expire and can be topped up to a balance of at most 500 euros.');
    expect(message.content[0].text.value).toContain('handbook.md says: "Gift cards never expire and can be topped up to a balance of at most 500 euros." 【1†source】');
    expect(validatorFor('MessageObject')(message)).toBe(true);
  });

  test('the streamed reply carries each citation in the delta that holds its marker, as the spec has it', async () => {
    const threadId = await threadWith(server, 'Which countries do you ship to outside the European Union?');
    const { events } = await postStream(server, `/threads/${threadId}/runs`, { assistant_id: assistantId });
    const validate = validatorFor('AssistantStreamEvent');
    for (const event of events) {
      if (event.event !== 'done') expect(validate({ event: event.event, data: JSON.parse(event.data) }), event.event).toBe(true);
    }
    let text = '';
    const streamed: Citation[] = [];
    for (const event of events.filter((candidate) => candidate.event === 'thread.message.delta')) {
      const part = (JSON.parse(event.data) as { delta: { content: Array<{ text: { value: string; annotations: Citation[] } }> } }).delta.content[0];
      text += part?.text.value ?? '';
      streamed.push(...(part?.text.annotations ?? []));
    }
    const completed = JSON.parse(events.find((event) => event.event === 'thread.message.completed')?.data ?? '{}') as Record<string, any>;
    expect(completed.content[0].text.value).toBe(text);
    const stored = citationsOf(completed, handbook);
    expect(stored.length).toBeGreaterThan(0);
    expect(streamed.map(({ index: _index, ...citation }: Citation & { index?: number }) => citation)).toEqual(stored);
    expect(stored[0]?.file_citation.quote).toContain('Switzerland and to Norway');
  });

  test('files attached to a message are searched too; tool_choice none retrieves nothing', async () => {
    const notes = await uploadOk(server, 'Parking at the Leipzig warehouse is free after 18:00 for staff with a badge.\n', 'notes.txt');
    const plain = await ok(call(server, 'POST', '/assistants', { model: 'gpt-4', tools: [{ type: 'retrieval' }] }));
    const thread = await ok(call(server, 'POST', '/threads', { messages: [{ role: 'user', content: 'Is parking at the warehouse free?', file_ids: [notes] }] }));
    const created = await ok(call(server, 'POST', `/threads/${thread.id as string}/runs`, { assistant_id: plain.id }));
    await settle(server, thread.id as string, created.id as string);
    const [reply] = (await ok(call(server, 'GET', `/threads/${thread.id as string}/messages?run_id=${created.id as string}`))).data as Array<Record<string, any>>;
    expect(citationsOf(reply ?? {}, 'Parking at the Leipzig warehouse is free after 18:00 for staff with a badge.\n')).toHaveLength(1);

    await ok(call(server, 'POST', `/threads/${thread.id as string}/messages`, { role: 'user', content: 'And on Sundays?' }));
    const none = await ok(call(server, 'POST', `/threads/${thread.id as string}/runs`, { assistant_id: plain.id, tool_choice: 'none' }));
    await settle(server, thread.id as string, none.id as string);
    const steps = await ok(call(server, 'GET', `/threads/${thread.id as string}/runs/${none.id as string}/steps`));
    expect((steps.data as Array<Record<string, any>>).map((step) => step.type)).toEqual(['message_creation']);
  });

  test('a real PDF is read: its passage is cited with a quote from its text', async () => {
    const pdf = await uploadOk(server, await readFile(pdfFixture), 'handbook-excerpt.pdf');
    const assistant = await ok(call(server, 'POST', '/assistants', { model: 'gpt-4', tools: [{ type: 'retrieval' }], file_ids: [pdf] }));
    const { message } = await askOnce(server, assistant.id as string, 'Can I bring back a climbing harness?');
    // The PDF was made from the handbook's first three pages (its lines wrapped where they fit).
    const [citation] = citationsOf(message, handbookPages().slice(0, 3).join('\n'), words);
    expect(words(citation?.file_citation.quote ?? '')).toBe('Climbing ropes and harnesses can never be returned once they have left the store, for safety reasons.');
    expect(citation?.file_citation.file_id).toBe(pdf);
  });
});

describe('with a chat upstream', () => {
  let upstream: FakeUpstream;
  let server: TestServer;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    server = await startTestServer({ runStepMs: 2, model: { type: 'chat', upstreamUrl: upstream.url } });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  test('the model is shown the passages, numbered, and its marker becomes a citation, streamed', async () => {
    const fileId = await uploadOk(server, handbook, 'handbook.md');
    const assistant = await ok(call(server, 'POST', '/assistants', { model: 'gpt-4', instructions: 'Answer from the handbook.', tools: [{ type: 'retrieval' }], file_ids: [fileId] }));
    const reply = 'Hotel costs are reimbursed up to 120 euros per night 【1†source】, booked by the employee.';
    upstream.script({ text: reply });
    const threadId = await threadWith(server, 'How much hotel cost per night is reimbursed on a business trip?');
    const response = await fetch(`${server.url}/threads/${threadId}/runs`, {
      method: 'POST',
      headers: server.headers,
      body: JSON.stringify({ assistant_id: assistant.id, stream: true }),
    });
    const events = parseSse(await response.text());
    const deltas = events.filter((event) => event.event === 'thread.message.delta').map((event) => JSON.parse(event.data) as Record<string, any>);
    // The fake streams seven characters at a time: the marker arrived in pieces, and went out whole.
    const withCitation = deltas.filter((delta) => delta.delta.content[0].text.annotations.length > 0);
    expect(withCitation).toHaveLength(1);
    expect(withCitation[0]?.delta.content[0].text.value).toContain('【1†source】');

    const system = upstream.requests.at(-1)?.body.messages[0]?.content ?? '';
    expect(system.startsWith('Answer from the handbook.\n\nThese passages were found in the files attached to this conversation')).toBe(true);
    expect(system).toContain('【1†source】 from handbook.md:\n');
    expect(system).toContain('Hotel costs are reimbursed up to 120 euros per night.');

    const completed = JSON.parse(events.find((event) => event.event === 'thread.message.completed')?.data ?? '{}') as Record<string, any>;
    expect(completed.content[0].text.value).toBe(reply);
    const [citation] = citationsOf(completed, handbook);
    expect(citation).toMatchObject({ text: '【1†source】', start_index: reply.indexOf('【'), file_citation: { file_id: fileId, quote: 'Hotel costs are reimbursed up to 120 euros per night.' } });
    expect(upstream.invalid).toEqual([]);
  });
});

describe('uploads that cannot be indexed are refused, keeping nothing', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    ({ dir } = await makeTempDir('assistants-retrieval-'));
    server = await startTestServer({
      dataFile: join(dir, 'data.jsonl'),
      retrieval: { maxFileChars: 20_000, maxPdfBytes: 5_000, maxIndexChars: 30_000 },
    });
  });
  afterAll(() => server.close());

  test.each<[string, () => Promise<Uint8Array | string>, string, RegExp]>([
    ['a binary file with a text extension', async () => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'photo.txt', /^'photo.txt' is not text \(it holds NUL bytes\)/],
    ['a PDF above the size limit', () => readFile(pdfFixture), 'big.pdf', /^'big.pdf' is a PDF of 7 kB; PDFs larger than 5 kB are not indexed for retrieval\. Split it, or upload its text\.$/],
    ['a broken PDF', async () => '%PDF-1.7\nthis is not a PDF at all', 'broken.pdf', /^'broken.pdf' could not be read as a PDF \(/],
    ['too much text', async () => 'word '.repeat(5_000), 'long.md', /^'long.md' has more than 20,000 characters of text/],
  ])('%s', async (_name, content, filename, message) => {
    const before = await ok(call(server, 'GET', '/files'));
    const reply = await upload(server, await content(), filename);
    expect(errorOf(reply)).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'file', code: 'unsupported_file' });
    expect(errorOf(reply).message).toMatch(message);
    expect(validatorFor('ErrorResponse')(reply.body)).toBe(true);
    expect(await ok(call(server, 'GET', '/files'))).toEqual(before);
    expect((await readdir(join(dir, 'data.jsonl.blobs'))).filter((name) => name.includes('.tmp'))).toEqual([]);
  });

  test('the same bytes are kept, not indexed, under a name or purpose that is not searched', async () => {
    const binary = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]);
    expect((await upload(server, binary, 'photo.png')).status).toBe(200);
    expect((await upload(server, 'word '.repeat(5_000), 'long.md', 'fine-tune')).status).toBe(200);
  });

  test('a full index refuses the upload, naming what is left; deleting a file makes room', async () => {
    const first = await uploadOk(server, 'a'.repeat(15_000), 'first.txt');
    const refused = await upload(server, 'b'.repeat(16_000), 'second.txt');
    expect(errorOf(refused)).toMatchObject({ status: 400, param: 'file', code: 'unsupported_file' });
    expect(errorOf(refused).message).toMatch(/^The server's retrieval index is full: 'second.txt' has 16,000 characters of text, and 15,000 of the 30,000/);
    await ok(call(server, 'DELETE', `/files/${first}`));
    await uploadOk(server, 'b'.repeat(16_000), 'second.txt');
    // 14,000 left: of two uploads of 10,000 side by side, one fits.
    const both = await Promise.all([upload(server, 'c'.repeat(10_000), 'c.txt'), upload(server, 'd'.repeat(10_000), 'd.txt')]);
    expect(both.map((reply) => reply.status).sort()).toEqual([200, 400]);
  });
});

test('the index survives a restart, is rebuilt for files without kept text, and forgets deleted files', async () => {
  const { dir } = await makeTempDir('assistants-retrieval-restart-');
  const dataFile = join(dir, 'data.jsonl');
  let server = await startTestServer({ dataFile, runStepMs: 2 });
  const kept = await uploadOk(server, handbook, 'handbook.md');
  const older = await uploadOk(server, 'The staff canteen serves soup every Wednesday.\n', 'canteen.txt');
  const assistant = await ok(call(server, 'POST', '/assistants', { model: 'gpt-4', tools: [{ type: 'retrieval' }], file_ids: [kept, older] }));
  await server.close();
  // As an older version left it: no text kept for this file.
  await rm(join(`${dataFile}.blobs`, `${older}.text`));

  server = await startTestServer({ dataFile, runStepMs: 2 });
  try {
    expect(citationsOf((await askOnce(server, assistant.id as string, 'What does it cost to rent a tent for the weekend?')).message, handbook)[0]?.file_citation.file_id).toBe(kept);
    expect(citationsOf((await askOnce(server, assistant.id as string, 'When is there soup in the canteen?')).message, 'The staff canteen serves soup every Wednesday.\n')[0]?.file_citation.file_id).toBe(older);
    await ok(call(server, 'DELETE', `/files/${kept}`));
    const { run, message } = await askOnce(server, assistant.id as string, 'What does it cost to rent a tent for the weekend?');
    expect(run.status).toBe('completed');
    expect(message.content[0].text.annotations.every((citation: Citation) => citation.file_citation.file_id !== kept)).toBe(true);
  } finally {
    await server.close();
  }
  expect((await readdir(`${dataFile}.blobs`)).sort()).toEqual([older, `${older}.text`].sort());
});
