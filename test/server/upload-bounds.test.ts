/**
 * Uploads are read in linear time and bounded memory: every state of the multipart reader
 * is bounded, reading stops at the closing boundary, and a hostile body is turned away
 * early while other clients go on being served.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
import { MiB, settledExternalBytes } from '../support/memory.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, uploadGenerated } from './http.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const DECLARED = 100 * 1024 * 1024;
/** Never send more than this: a server that reads on would leave the test waiting, not the machine busy. */
const SEND_AT_MOST = 24 * 1024 * 1024;

interface Outcome {
  /** The status line's code, or 0 when the server answered nothing. */
  status: number;
  response: string;
  /** Bytes of the body written before the answer came. */
  sent: number;
}

/**
 * POSTs to /v1/files a body of `head`, then `filler` repeated, declaring 100 MB, and stops
 * writing once the server answers (or SEND_AT_MOST is out, then waits for the answer).
 */
function hostileUpload(head: string, filler: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let response = '';
    let sent = 0;
    let answered = false;
    const finish = (): void => {
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0), response, sent });
    };
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString('latin1');
      if (!answered && /\r\n\r\n/.test(response)) {
        answered = true;
        // Let the rest of the body arrive, then stop.
        setTimeout(finish, 50);
      }
    });
    socket.on('error', () => (answered ? undefined : finish()));
    socket.on('close', () => (answered ? undefined : finish()));
    socket.once('connect', () => {
      socket.write(
        `POST /v1/files HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\nauthorization: Bearer ${server.apiKey}\r\n` +
          `content-type: multipart/form-data; boundary=B\r\ncontent-length: ${DECLARED}\r\n\r\n${head}`,
      );
      sent = head.length;
      const pump = (): void => {
        while (!answered && sent + filler.length <= SEND_AT_MOST) {
          sent += filler.length;
          if (!socket.write(filler)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    socket.setTimeout(20_000, () => reject(new Error(`no answer after ${sent} bytes`)));
  });
}

test('a boundary followed by 100 MB without a line break is refused early, and other clients are served meanwhile', async () => {
  const hostile = hostileUpload('--B', Buffer.alloc(64 * 1024, 0x61));
  const others: number[] = [];
  for (let i = 0; i < 10; i++) others.push((await call(server, 'GET', '/files')).status);
  const outcome = await hostile;
  expect(outcome.status).toBe(400);
  expect(outcome.response).toContain('Could not parse multipart form');
  expect(outcome.sent).toBeLessThan(SEND_AT_MOST);
  expect(others).toEqual(Array(10).fill(200));
  expect((await call(server, 'GET', '/files')).body.data).toEqual([]);
});

test('reading stops at the closing boundary: a 100 MB epilogue is not waited for', async () => {
  const form =
    '--B\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n' +
    '--B\r\nContent-Disposition: form-data; name="file"; filename="kept.txt"\r\n\r\nthe content\r\n--B--\r\n';
  const outcome = await hostileUpload(form, Buffer.alloc(64 * 1024, 0x61));
  expect(outcome.status).toBe(200);
  expect(outcome.sent).toBeLessThan(SEND_AT_MOST);
  expect(outcome.response.toLowerCase()).toContain('connection: close');
  const id = (JSON.parse(outcome.response.slice(outcome.response.indexOf('\r\n\r\n') + 4)) as { id: string }).id;
  const content = await fetch(`${server.url}/files/${id}/content`, { headers: { authorization: `Bearer ${server.apiKey}` } });
  expect(await content.text()).toBe('the content');
});

test('padding after a boundary and part headers are bounded too', async () => {
  const padded = await hostileUpload('--B', Buffer.alloc(64 * 1024, 0x20));
  expect(padded.status).toBe(400);
  const headers = await hostileUpload('--B\r\nContent-Disposition: form-data; name="file"; filename="x"\r\nX-Long: ', Buffer.alloc(64 * 1024, 0x61));
  expect(headers.status).toBe(400);
  expect(headers.response).toContain('part headers are too long');
});

test('an upload to a server without --data goes to disk, not to memory', async () => {
  const size = 48 * MiB;
  const before = settledExternalBytes();
  const reply = await uploadGenerated(server, size);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  expect(reply.body).toMatchObject({ bytes: size });
  expect(settledExternalBytes() - before).toBeLessThan(8 * MiB);
});

test('an upload under way while the server is reset is answered 409 and leaves nothing behind', async () => {
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      `${server.url}/files`,
      { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'multipart/form-data; boundary=B' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (part: string) => (body += part));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write('--B\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n--B\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nfirst half, ');
    // The rest comes after the reset.
    setTimeout(() => {
      void fetch(`${server.origin}/_admin/reset`, { method: 'POST' }).then(() => req.end('second half\r\n--B--\r\n'));
    }, 50);
  });
  const answer = await reply;
  expect(answer.status).toBe(409);
  expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'reset_during_upload', type: 'invalid_request_error' } });
  expect((await call(server, 'GET', '/files')).body.data).toEqual([]);
});
