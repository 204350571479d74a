import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { request } from 'node:http';
import { readMultipart, multipartBoundary } from '../../src/server/multipart.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, errorOf, upload } from './http.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: 64 * 1024 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  await fetch(`${server.origin}/_admin/reset`, { method: 'POST' });
});

const noBeta = (): Record<string, string> => ({ authorization: `Bearer ${server.apiKey}` });

describe('/v1/files', () => {
  test('upload, retrieve, download, list, delete without the beta header', async () => {
    const content = 'line one\nline two\n';
    const up = await upload(server, content, 'notes.txt');
    expect(up.status).toBe(200);
    const file = up.body;
    expect(file).toEqual({
      id: expect.stringMatching(/^file-[A-Za-z0-9]{24}$/),
      object: 'file',
      bytes: Buffer.byteLength(content),
      created_at: expect.any(Number),
      filename: 'notes.txt',
      purpose: 'assistants',
      status: 'processed',
    });
    const id = file.id as string;
    expect((await call(server, 'GET', `/files/${id}`, undefined, noBeta())).body).toEqual(file);

    const download = await fetch(`${server.url}/files/${id}/content`, { headers: noBeta() });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(content);

    const list = await call(server, 'GET', '/files', undefined, noBeta());
    expect(list.body).toEqual({ object: 'list', data: [file] });

    expect((await call(server, 'DELETE', `/files/${id}`, undefined, noBeta())).body).toEqual({
      id,
      object: 'file',
      deleted: true,
    });
    expect(errorOf(await call(server, 'GET', `/files/${id}`, undefined, noBeta()))).toMatchObject({
      status: 404,
      message: `No file found with id '${id}'.`,
      type: 'invalid_request_error',
    });
    expect((await call(server, 'GET', `/files/${id}/content`, undefined, noBeta())).status).toBe(404);
    expect((await call(server, 'DELETE', `/files/${id}`, undefined, noBeta())).status).toBe(404);
  });

  test('binary content round-trips byte for byte', async () => {
    const bytes = new Uint8Array(40_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 256;
    // Include something that looks like a boundary start inside the data.
    bytes.set(Buffer.from('\r\n--not-the-boundary\r\n'), 1000);
    const up = await upload(server, bytes, 'blob.bin');
    expect(up.body.bytes).toBe(bytes.length);
    const download = await fetch(`${server.url}/files/${up.body.id as string}/content`, { headers: noBeta() });
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  test('list filters by purpose, newest first', async () => {
    const a = await upload(server, 'a', 'a.txt', 'assistants');
    const b = await upload(server, 'b', 'b.jsonl', 'fine-tune');
    const c = await upload(server, 'c', 'c.txt', 'assistants');
    const all = await call(server, 'GET', '/files', undefined, noBeta());
    expect((all.body.data as Array<{ id: string }>).map((f) => f.id)).toEqual([c.body.id, b.body.id, a.body.id]);
    const only = await call(server, 'GET', '/files?purpose=fine-tune', undefined, noBeta());
    expect((only.body.data as Array<{ id: string }>).map((f) => f.id)).toEqual([b.body.id]);
  });

  test('bad uploads', async () => {
    expect(errorOf(await upload(server, 'x', 'x.txt', 'vision'))).toMatchObject({ status: 400, param: 'purpose', code: 'invalid_value' });

    const noPurpose = new FormData();
    noPurpose.append('file', new Blob(['x']), 'x.txt');
    const r1 = await fetch(`${server.url}/files`, { method: 'POST', headers: noBeta(), body: noPurpose });
    expect(await r1.json()).toMatchObject({ error: { message: "Missing required parameter: 'purpose'.", param: 'purpose' } });

    const noFile = new FormData();
    noFile.append('purpose', 'assistants');
    const r2 = await fetch(`${server.url}/files`, { method: 'POST', headers: noBeta(), body: noFile });
    expect(await r2.json()).toMatchObject({ error: { message: "Missing required parameter: 'file'.", param: 'file' } });

    const extra = new FormData();
    extra.append('purpose', 'assistants');
    extra.append('colour', 'blue');
    extra.append('file', new Blob(['x']), 'x.txt');
    const r3 = await fetch(`${server.url}/files`, { method: 'POST', headers: noBeta(), body: extra });
    expect(r3.status).toBe(400);
    expect(await r3.json()).toMatchObject({ error: { param: 'colour' } });

    const json = await call(server, 'POST', '/files', { purpose: 'assistants' }, { ...noBeta(), 'content-type': 'application/json' });
    expect(errorOf(json)).toMatchObject({ status: 400 });

    const truncated = await fetch(`${server.url}/files`, {
      method: 'POST',
      headers: { ...noBeta(), 'content-type': 'multipart/form-data; boundary=XyZ' },
      body: '--XyZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
    });
    expect(truncated.status).toBe(400);
    expect((await call(server, 'GET', '/files', undefined, noBeta())).body.data).toEqual([]);
  });

  test('an upload over maxUploadBytes is a 413 and leaves nothing behind', async () => {
    const big = await upload(server, new Uint8Array(70 * 1024), 'big.bin');
    expect(errorOf(big)).toMatchObject({ status: 413, type: 'invalid_request_error' });
    expect((await call(server, 'GET', '/files', undefined, noBeta())).body.data).toEqual([]);
  });

  test('a chunked upload (no content-length) over the limit is a 413 too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/files`,
        {
          method: 'POST',
          headers: { ...noBeta(), 'content-type': 'multipart/form-data; boundary=B', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('--B\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n');
      req.end(Buffer.alloc(80 * 1024, 1));
    });
    expect(status).toBe(413);
  });
});

describe('readMultipart', () => {
  const body =
    'preamble\r\n--b1\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n' +
    '--b1\r\nContent-Disposition: form-data; name="file"; filename="q\\"uote.txt"\r\nContent-Type: text/plain\r\n\r\n' +
    'data\r\n--b2\r\n-b1 more\r\n--b1--\r\nepilogue';

  test.each([1, 2, 3, 7, 1000])('parses the same whatever the chunk size (%i)', async (size) => {
    const chunks: Buffer[] = [];
    const raw = Buffer.from(body);
    for (let i = 0; i < raw.length; i += size) chunks.push(raw.subarray(i, i + size));
    const fields: Record<string, string> = {};
    const files: Array<{ name: string; filename: string | undefined; data: Buffer[] }> = [];
    await readMultipart(
      (async function* () {
        yield* chunks;
      })(),
      'b1',
      {
        field: (name, value) => {
          fields[name] = value;
        },
        file: (part) => {
          const entry = { name: part.name, filename: part.filename, data: [] as Buffer[] };
          files.push(entry);
          return { write: async (chunk) => void entry.data.push(Buffer.from(chunk)) };
        },
      },
    );
    expect(fields).toEqual({ purpose: 'assistants' });
    expect(files.map((f) => [f.name, f.filename, Buffer.concat(f.data).toString()])).toEqual([
      ['file', 'q"uote.txt', 'data\r\n--b2\r\n-b1 more'],
    ]);
  });

  test('escaped quotes in a filename, as form encoders send them', async () => {
    const up = await upload(server, 'x', 'say "hi".txt');
    expect(up.body.filename).toBe('say "hi".txt');
    const unicode = await upload(server, 'x', 'résumé ✓.txt');
    expect(unicode.body.filename).toBe('résumé ✓.txt');
  });

  test('boundary from the content type', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('application/json')).toBeUndefined();
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
  });
});
