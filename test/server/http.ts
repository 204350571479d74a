/** Small fetch wrappers for the server tests: JSON in, `{status, body, headers}` out. */
import { request } from 'node:http';
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

/** Uploads `size` bytes of `b` without holding them: one 1 MiB chunk written again and again. */
export function uploadGenerated(server: TestServer, size: number, filename = 'big.bin'): Promise<Reply> {
  const chunk = Buffer.alloc(Math.min(size, 1024 * 1024), 0x62);
  const head =
    '--B\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n' +
    `--B\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n\r\n`;
  const tail = '\r\n--B--\r\n';
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/files`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.apiKey}`,
          'content-type': 'multipart/form-data; boundary=B',
          'content-length': String(head.length + size + tail.length),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (part: string) => (text += part));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply['body'], headers });
        });
      },
    );
    req.on('error', reject);
    req.write(head);
    let written = 0;
    const pump = (): void => {
      while (written < size) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - written));
        written += part.length;
        if (!req.write(part)) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}
