/** Small fetch wrappers for the server tests: JSON in, `{status, body, headers}` out. */
import type { TestServer } from '../support/server.js';

export interface Reply {
  status: number;
  // Tests read whatever the server sent; each assertion narrows it.
  body: Record<string, unknown> & { error?: { message: string; type: string; param: string | null; code: string | null } };
  headers: Headers;
}

export async function call(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = server.headers,
): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Reply['body']) : {}, headers: response.headers };
}

export async function upload(
  server: TestServer,
  content: string | Uint8Array,
  filename = 'notes.txt',
  purpose = 'assistants',
): Promise<Reply> {
  const form = new FormData();
  form.append('purpose', purpose);
  form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), filename);
  const response = await fetch(`${server.url}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}` },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as Reply['body'], headers: response.headers };
}

/** Uploads a file and returns its id. */
export async function uploadId(server: TestServer, content = 'hello'): Promise<string> {
  const reply = await upload(server, content);
  if (reply.status !== 200) throw new Error(`upload failed: ${JSON.stringify(reply.body)}`);
  return reply.body.id as string;
}

export async function createAssistant(server: TestServer, fields: Record<string, unknown> = {}): Promise<Reply['body']> {
  const reply = await call(server, 'POST', '/assistants', { model: 'gpt-4-turbo', ...fields });
  if (reply.status !== 200) throw new Error(`create failed: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export function errorOf(reply: Reply): { status: number; message: string; type: string; param: string | null; code: string | null } {
  if (!reply.body.error) throw new Error(`expected an error, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return { status: reply.status, ...reply.body.error };
}
