/**
 * The model behind the local server, as the CLI configures it: `serve`'s flags, and
 * `local-server.yaml` beside the manifest for `--endpoint local`, whose runs then reach the
 * configured upstream with the key from the environment variable it names.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localServerModel, modelFromFlags } from '../../src/cli/model-options.js';
import { openSession } from '../../src/cli/session.js';
import { UserError } from '../../src/errors.js';
import { fakeIo } from '../support/fake-io.js';
import { makeTempDir } from '../support/temp-dir.js';
import { startFakeUpstream, type FakeUpstream } from '../server/fake-chat-upstream.js';

let dir: string;
beforeAll(async () => {
  ({ dir } = await makeTempDir('assistants-model-options-'));
});

const context = (env: NodeJS.ProcessEnv = {}): { env: NodeJS.ProcessEnv; cwd: string } => ({ env, cwd: dir });

describe('serve flags', () => {
  test('chat with a key from the environment, a model map of pairs and a file, and a timeout', async () => {
    await writeFile(join(dir, 'models.yaml'), 'gpt-4-turbo: llama3.1:70b\n"*": llama3.1:8b\n');
    const options = await modelFromFlags(
      {
        model: 'chat',
        upstreamUrl: 'http://127.0.0.1:11434/v1',
        upstreamKeyEnv: 'OLLAMA_KEY',
        modelMap: ['gpt-4=llama3.1:8b', 'models.yaml', 'gpt-4-turbo=qwen2.5:32b'],
        upstreamTimeout: '90s',
      },
      context({ OLLAMA_KEY: 'sk-ollama' }),
    );
    expect(options).toEqual({
      type: 'chat',
      upstreamUrl: 'http://127.0.0.1:11434/v1',
      apiKey: 'sk-ollama',
      modelMap: { 'gpt-4': 'llama3.1:8b', 'gpt-4-turbo': 'qwen2.5:32b', '*': 'llama3.1:8b' },
      timeoutMs: 90_000,
    });
    expect(await modelFromFlags({ model: 'stand-in', modelMap: [] }, context())).toBeUndefined();
  });

  test.each<[string, Parameters<typeof modelFromFlags>[0], NodeJS.ProcessEnv, string]>([
    ['an unknown model', { model: 'gpt' }, {}, "--model must be stand-in or chat, got 'gpt'."],
    ['chat without a URL', { model: 'chat' }, {}, '--model chat needs --upstream-url'],
    ['a URL with credentials', { model: 'chat', upstreamUrl: 'http://user:pw@127.0.0.1/v1' }, {}, '--upstream-url must not carry credentials'],
    ['not a URL', { model: 'chat', upstreamUrl: 'localhost:11434' }, {}, "--upstream-url must be an http:// or https:// URL, got 'localhost:'"],
    ['an upstream flag without chat', { model: 'stand-in', upstreamUrl: 'http://127.0.0.1/v1' }, {}, '--upstream-url is for --model chat'],
    ['a key variable that is not set', { model: 'chat', upstreamUrl: 'http://127.0.0.1/v1', upstreamKeyEnv: 'NOPE_KEY' }, {}, '--upstream-key-env names NOPE_KEY, which is not set'],
    ['a key given as the value', { model: 'chat', upstreamUrl: 'http://127.0.0.1/v1', upstreamKeyEnv: 'sk-live-abcdef123456' }, {}, "--upstream-key-env takes the name of an environment variable, such as OPENAI_API_KEY, not 'sk-live-…'."],
    ['a half pair', { model: 'chat', upstreamUrl: 'http://127.0.0.1/v1', modelMap: ['gpt-4='] }, {}, "--model-map 'gpt-4=': give NAME=UPSTREAM_NAME"],
    ['a bad timeout', { model: 'chat', upstreamUrl: 'http://127.0.0.1/v1', upstreamTimeout: '0' }, {}, '--upstream-timeout "0": must be longer than 0'],
  ])('%s is one line naming the flag', async (_name, flags, env, message) => {
    const error = await modelFromFlags(flags, context(env)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain(message);
    expect((error as UserError).message).not.toContain('sk-live-abcdef123456');
  });

  test('a model map file with a problem names its line and column', async () => {
    await writeFile(join(dir, 'bad-models.yaml'), 'gpt-4: llama3.1:8b\ngpt-3.5-turbo: [a, b]\n');
    await expect(modelFromFlags({ model: 'chat', upstreamUrl: 'http://127.0.0.1/v1', modelMap: ['bad-models.yaml'] }, context())).rejects.toThrow(
      "bad-models.yaml:2:16: 'gpt-3.5-turbo' must map to the name of a model the upstream knows, as a string",
    );
    await expect(modelFromFlags({ model: 'chat', upstreamUrl: 'http://127.0.0.1/v1', modelMap: ['missing.yaml'] }, context())).rejects.toThrow(
      `--model-map: ${join(dir, 'missing.yaml')} does not exist.`,
    );
  });
});

describe('local-server.yaml', () => {
  async function configIn(text: string | undefined): Promise<string> {
    const folder = await mkdtemp(join(dir, 'project-'));
    if (text !== undefined) await writeFile(join(folder, 'local-server.yaml'), text);
    return folder;
  }

  test('absent: the stand-in', async () => {
    expect(await localServerModel(await configIn(undefined), context())).toBeUndefined();
  });

  test('chat, with the key from its ASSISTANTS_UPSTREAM_ variable (unset: named, for the runs to say)', async () => {
    const folder = await configIn(
      'version: 1\nmodel: chat\nupstream_url: http://127.0.0.1:8000/v1\nupstream_key_env: ASSISTANTS_UPSTREAM_KEY\nmodel_map:\n  gpt-4: mistral-7b\nupstream_timeout: 5m\n',
    );
    expect(await localServerModel(folder, context({ ASSISTANTS_UPSTREAM_KEY: 'sk-vllm' }))).toEqual({
      type: 'chat',
      upstreamUrl: 'http://127.0.0.1:8000/v1',
      apiKeyEnv: 'ASSISTANTS_UPSTREAM_KEY',
      apiKey: 'sk-vllm',
      modelMap: { 'gpt-4': 'mistral-7b' },
      timeoutMs: 300_000,
    });
    expect(await localServerModel(folder, context())).toEqual(expect.not.objectContaining({ apiKey: expect.anything() }));
  });

  test('every problem at once, each at its line and column; another secret cannot be named', async () => {
    const folder = await configIn('version: 2\nmodel: chat\nupstream_url: ftp://example.com\nupstream_key_env: GITHUB_TOKEN\nupstrem_timeout: 5s\n');
    const error = (await localServerModel(folder, { env: { GITHUB_TOKEN: 'ghp_secret' }, cwd: folder }).catch((caught: unknown) => caught)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(`4 problems in ${join(folder, 'local-server.yaml')}.`);
    expect(error.details).toEqual([
      'local-server.yaml:1:10: version must be 1',
      "local-server.yaml:3:15: upstream_url must be an http:// or https:// URL, got 'ftp:'",
      'local-server.yaml:4:19: upstream_key_env must name an environment variable that starts with ASSISTANTS_UPSTREAM_, such as ASSISTANTS_UPSTREAM_KEY: this file must not be able to send another secret to a server it names',
      "local-server.yaml:5:1: unknown field 'upstrem_timeout'; local-server.yaml has version, model, upstream_url, upstream_key_env, model_map, upstream_timeout",
    ]);
    expect(JSON.stringify(error)).not.toContain('ghp_secret');
  });

  describe('with --endpoint local', () => {
    let upstream: FakeUpstream;
    beforeAll(async () => {
      upstream = await startFakeUpstream();
    });
    afterAll(() => upstream.close());

    test("the in-process server's runs go to the configured upstream", async () => {
      const folder = await configIn(`version: 1\nmodel: chat\nupstream_url: ${upstream.url}\nupstream_key_env: ASSISTANTS_UPSTREAM_KEY\nmodel_map: { "*": tiny-model }\n`);
      await writeFile(join(folder, 'assistants.yaml'), 'version: 1\nproject: p\n');
      upstream.script({ text: 'Hello from the upstream.' });
      const io = fakeIo(folder, { ASSISTANTS_UPSTREAM_KEY: 'sk-local-upstream' });
      const session = await openSession({ file: 'assistants.yaml', endpoint: 'local', requestTimeout: 30_000, lockTimeout: 0 }, io, 'test');
      try {
        const assistant = await session.assistants.createAssistant({ createAssistantRequest: { model: 'gpt-4' } });
        let run = await session.assistants.createThreadAndRun({
          createThreadAndRunRequest: { assistantId: assistant.id, thread: { messages: [{ role: 'user', content: 'Hi!' }] } },
        });
        while (run.status === 'queued' || run.status === 'in_progress') {
          await new Promise((resolve) => setTimeout(resolve, 10));
          run = await session.assistants.getRun({ threadId: run.threadId, runId: run.id });
        }
        expect(run.status).toBe('completed');
        expect(upstream.requests.at(-1)?.body.model).toBe('tiny-model');
        expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-local-upstream');
      } finally {
        await session.close();
      }
    });
  });
});
