/**
 * The admin endpoints are not open to whoever can reach the port: the API key when one is
 * set, the server's own Host only (DNS rebinding), no cross-site Origin, and --no-admin;
 * /v1 of a server without a key keeps the Host rule too.
 * And an unauthenticated /v1 request never spends the real client's rate budget.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { request } from 'node:http';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, createAssistant, errorOf } from './http.js';

const servers: TestServer[] = [];
async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** One request with exactly these headers (Host included), as a browser or a script could send it. */
function send(server: TestServer, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin endpoints', () => {
  test('with an API key set, they need it too', async () => {
    const server = await start({ apiKey: 'sk-admin-key-0123456789' });
    await createAssistant(server);
    const own = { host: `127.0.0.1:${server.port}` };
    for (const headers of [own, { ...own, authorization: 'Bearer sk-wrong-key-0123456789' }]) {
      const refused = await send(server, 'POST', '/_admin/reset', headers);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { type: 'invalid_request_error' } });
      expect((await send(server, 'GET', '/_admin/stats', headers)).status).toBe(401);
    }
    expect((await call(server, 'GET', '/assistants')).body.data).toHaveLength(1);
    const authorized = { ...own, authorization: `Bearer ${server.apiKey}` };
    expect((await send(server, 'POST', '/_admin/reset', authorized)).status).toBe(200);
    expect((await call(server, 'GET', '/assistants')).body.data).toHaveLength(0);
  });

  test("a Host that is not the server's own (DNS rebinding) is refused", async () => {
    const server = await start();
    await createAssistant(server);
    for (const host of ['evil.example', `evil.example:${server.port}`, `rebind.127.0.0.1.nip.io:${server.port}`]) {
      const refused = await send(server, 'POST', '/_admin/reset', { host });
      expect(refused.status, host).toBe(403);
      expect(JSON.parse(refused.body).error.message).toContain(host);
    }
    expect((await call(server, 'GET', '/assistants')).body.data).toHaveLength(1);
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, 'localhost', `[::1]:${server.port}`]) {
      expect((await send(server, 'GET', '/_admin/stats', { host })).status, host).toBe(200);
    }
  });

  test('without an API key, /v1 too answers only its own Host; with one, any name', async () => {
    const open = await start();
    await createAssistant(open);
    const bearer = { authorization: 'Bearer any-key', 'openai-beta': 'assistants=v1' };
    for (const host of ['evil.example', `rebind.127.0.0.1.nip.io:${open.port}`]) {
      for (const [method, path] of [['GET', '/v1/assistants'], ['DELETE', '/v1/assistants/asst_x']] as const) {
        const refused = await send(open, method, path, { ...bearer, host });
        expect(refused.status, `${method} ${host}`).toBe(403);
        expect(JSON.parse(refused.body).error).toMatchObject({ code: 'host_not_allowed' });
        expect(JSON.parse(refused.body).error.message).toContain('--api-key');
      }
    }
    expect((await send(open, 'GET', '/v1/assistants', { ...bearer, host: `localhost:${open.port}` })).status).toBe(200);
    const keyed = await start({ apiKey: 'sk-v1-key-0123456789' });
    const named = await send(keyed, 'GET', '/v1/assistants', { ...bearer, authorization: `Bearer ${keyed.apiKey}`, host: 'assistants:8787' });
    expect(named.status).toBe(200);
  });

  test('a cross-site Origin is refused, even for a no-cors POST', async () => {
    const server = await start();
    await createAssistant(server);
    const host = `127.0.0.1:${server.port}`;
    for (const origin of ['https://evil.example', 'null', `http://localhost:${server.port + 1}`]) {
      const refused = await send(server, 'POST', '/_admin/reset', { host, origin, 'content-type': 'text/plain' });
      expect(refused.status, origin).toBe(403);
    }
    const crossSite = await send(server, 'POST', '/_admin/reset', { host, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect((await call(server, 'GET', '/assistants')).body.data).toHaveLength(1);
    expect((await send(server, 'GET', '/_admin/stats', { host, origin: `http://${host}` })).status).toBe(200);
  });

  test('admin: false (serve --no-admin) removes them', async () => {
    const server = await start({ admin: false });
    for (const [method, path] of [['GET', '/_admin/stats'], ['POST', '/_admin/reset']] as const) {
      const reply = await fetch(`${server.origin}${path}`, { method });
      expect(reply.status).toBe(404);
      expect(await reply.json()).toMatchObject({ error: { message: `Invalid URL (${method} ${path})` } });
    }
  });
});

test('unauthenticated requests do not spend the rate budget of the real client', async () => {
  const server = await start({ apiKey: 'sk-real-key-0123456789', rateLimit: 2 });
  for (let i = 0; i < 10; i++) {
    const reply = await call(server, 'GET', '/assistants', undefined, { 'openai-beta': 'assistants=v1' });
    expect(errorOf(reply).status).toBe(401);
  }
  const real = await call(server, 'GET', '/assistants');
  expect(real.status).toBe(200);
  expect(real.headers.get('x-ratelimit-remaining-requests')).toBe('1');
});
