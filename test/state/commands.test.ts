import { mkdir } from 'node:fs/promises';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration } from '../../src/api/index.js';
import { register as registerForceUnlock } from '../../src/cli/commands/force-unlock.js';
import { register as registerState, stateCommand } from '../../src/cli/commands/state.js';
import type { CliIo } from '../../src/cli/io.js';
import { UserError } from '../../src/errors.js';
import { LocalStateBackend } from '../../src/state/local-backend.js';
import { created, sampleState } from './sample.js';
import { makeTempDir } from '../support/temp-dir.js';
import { fakeIo } from '../support/fake-io.js';
import { startTestServer, type TestServer } from '../support/server.js';

async function run(io: CliIo, ...argv: string[]): Promise<void> {
  const program = new Command('assistants').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerState(program, io);
  registerForceUnlock(program, io);
  await program.parseAsync(argv, { from: 'user' });
}

async function failure(io: CliIo, ...argv: string[]): Promise<UserError> {
  const error = await run(io, ...argv).then(
    () => new Error('command succeeded'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
const apiEnv = (): NodeJS.ProcessEnv => ({ OPENAI_API_KEY: server.apiKey });
/** The sample state, recorded against the test server (state rm releases tags there). */
const sampleOn = (s: TestServer) => ({ ...sampleState(), endpoint: s.url });

describe('state and force-unlock commands', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let path: string;
  let backend: LocalStateBackend;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
    await mkdir(`${dir}/infra`);
    path = `${dir}/infra/.assistants/state/dev.json`;
    backend = new LocalStateBackend(path);
  });
  afterEach(() => cleanup());

  it('state list prints assistants then files, sorted, key and id tab-separated', async () => {
    await backend.write(sampleState());
    const io = fakeIo(dir);
    await run(io, 'state', 'list', '-f', 'infra/assistants.yaml', '--env', 'dev');
    expect(io.out()).toBe('billing\tasst_billing\nsupport\tasst_support\nfile:handbook\tfile-handbook\n');
    expect(io.err()).toBe('');
  });

  it('state list includes what an unfinished run left in the journal, without writing', async () => {
    const written = await backend.write(sampleState());
    await backend.appendJournal(created('alpha', 'asst_alpha'));
    const io = fakeIo(`${dir}/infra`);
    await run(io, 'state', 'list', '--env', 'dev');
    expect(io.out().split('\n')[0]).toBe('alpha\tasst_alpha');
    expect(await backend.read()).toEqual(written);
  });

  it('state list with no state says so on stderr and prints nothing', async () => {
    const io = fakeIo(dir);
    await run(io, 'state', 'list', '--state', 'nowhere.json');
    expect(io.out()).toBe('');
    expect(io.err()).toBe(`No state at ${dir}/nowhere.json.\n`);
  });

  it('state show prints one record as sorted JSON, files by file:NAME', async () => {
    const state = sampleState();
    await backend.write(state);
    const io = fakeIo(dir);
    await run(io, 'state', 'show', 'support', '--state', path);
    expect(JSON.parse(io.out())).toEqual(state.assistants['support']);
    expect(io.out()).toMatch(/^\{\n {2}"applied": \{\n {4}"description"/);
    const files = fakeIo(dir);
    await run(files, 'state', 'show', 'file:handbook', '--state', path);
    expect(JSON.parse(files.out())).toEqual(state.files['handbook']);
  });

  it('state show of an unknown key or a missing state is a STATE error', async () => {
    const io = fakeIo(dir);
    expect((await failure(io, 'state', 'show', 'support', '--state', path)).message).toMatch(/no state yet/);
    await backend.write(sampleState());
    const error = await failure(io, 'state', 'show', 'nope', '--state', path);
    expect(error.code).toBe('STATE');
    expect(error.message).toBe(`${path}: not in the state: nope; "assistants state list" shows what it holds`);
  });

  it('state rm forgets records, writes a new serial, keeps a backup, and releases the lock', async () => {
    const written = await backend.write(sampleOn(server));
    const io = fakeIo(dir, apiEnv());
    await run(io, 'state', 'rm', 'billing', 'file:handbook', '--state', path);
    expect(io.out()).toBe(
      'Removed billing (asst_billing) from the state and released its ownership tag; it still exists on the server.\n' +
        'Removed file:handbook (file-handbook) from the state; the file still exists on the server.\n',
    );
    const after = await backend.read();
    expect(after?.serial).toBe(written.serial + 1);
    expect(Object.keys(after?.assistants ?? {})).toEqual(['support']);
    expect(after?.files).toEqual({});
    const lock = await backend.lock({ command: 'check' });
    await lock.release();
  });

  it('state rm changes nothing when any address is unknown', async () => {
    const written = await backend.write(sampleState());
    const error = await failure(fakeIo(dir), 'state', 'rm', 'billing', 'ghost', 'file:nope', '--state', path);
    expect(error.message).toMatch(/not in the state: ghost, file:nope/);
    expect(await backend.read()).toEqual(written);
  });

  it('state rm takes the ownership tag off the assistant on the server, and keeps everything else', async () => {
    const api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
    const live = await api.createAssistant({
      createAssistantRequest: { model: 'gpt-4', metadata: { team: 'cx', 'assistants-iac': 'demo/dev/billing' } },
    });
    const state = sampleOn(server);
    state.assistants['billing'] = { ...state.assistants['billing']!, id: live.id };
    await backend.write(state);
    await run(fakeIo(dir, apiEnv()), 'state', 'rm', 'billing', '--state', path);
    expect((await api.getAssistant({ assistantId: live.id })).metadata).toEqual({ team: 'cx' });
  });

  it('state rm leaves the tag of another owner in place (the record was wrong, not the tag)', async () => {
    const api = new AssistantsApi(createConfiguration({ apiKey: server.apiKey, baseUrl: server.url }));
    const live = await api.createAssistant({ createAssistantRequest: { model: 'gpt-4', metadata: { 'assistants-iac': 'other/dev/x' } } });
    const state = sampleOn(server);
    state.assistants['billing'] = { ...state.assistants['billing']!, id: live.id };
    await backend.write(state);
    await run(fakeIo(dir, apiEnv()), 'state', 'rm', 'billing', '--state', path);
    expect((await api.getAssistant({ assistantId: live.id })).metadata).toEqual({ 'assistants-iac': 'other/dev/x' });
    expect((await backend.read())?.assistants['billing']).toBeUndefined();
  });

  it('state rm refuses an endpoint other than the state\'s', async () => {
    await backend.write(sampleOn(server));
    const error = await failure(fakeIo(dir, apiEnv()), 'state', 'rm', 'billing', '--state', path, '--endpoint', 'http://127.0.0.1:9/v1');
    expect(error.message).toBe(`the state belongs to endpoint ${server.url}, not http://127.0.0.1:9/v1; drop --endpoint or give that one.`);
  });

  it('state rm folds a leftover journal first', async () => {
    await backend.write(sampleOn(server));
    await backend.appendJournal(created('alpha', 'asst_alpha'));
    const io = fakeIo(dir, apiEnv());
    await run(io, 'state', 'rm', 'billing', '--state', path);
    expect(io.err()).toBe('Recovered 1 operation(s) recorded by a command (apply, import, state rm) that did not finish; the state now includes them.\n');
    expect(Object.keys((await backend.read())?.assistants ?? {}).sort()).toEqual(['alpha', 'support']);
    expect((await backend.readJournal()).entries).toEqual([]);
  });

  it('state rm exits with LOCK_HELD while another holds the lock, and waits with --lock-timeout', async () => {
    await backend.write(sampleOn(server));
    const lock = await backend.lock({ command: 'apply' });
    const error = await failure(fakeIo(dir, apiEnv()), 'state', 'rm', 'billing', '--state', path);
    expect(error.code).toBe('LOCK_HELD');
    expect(error.message).toContain(`assistants force-unlock ${lock.info.id}`);
    setTimeout(() => void lock.release(), 100);
    await run(fakeIo(dir, apiEnv()), 'state', 'rm', 'billing', '--state', path, '--lock-timeout', '5s');
    expect(Object.keys((await backend.read())?.assistants ?? {})).toEqual(['support']);
  });

  it('force-unlock removes the lock with that id only, and one whose holder runs only with --force', async () => {
    const lock = await backend.lock({ command: 'apply' });
    const wrong = await failure(fakeIo(dir), 'force-unlock', 'abc', '--state', path);
    expect(wrong.code).toBe('STATE');
    const alive = await failure(fakeIo(dir), 'force-unlock', lock.info.id, '--state', path);
    expect(alive.code).toBe('LOCK_HELD');
    expect(alive.message).toContain(`pid ${process.pid} on ${lock.info.host}`);
    const io = fakeIo(dir);
    await run(io, 'force-unlock', lock.info.id, '--state', path, '--force');
    expect(io.out()).toBe(
      `Removed lock ${lock.info.id} on ${path} (taken by apply, pid ${process.pid} on ${lock.info.host}, user ${lock.info.who}, at ${lock.info.createdAt}).\n`,
    );
    const again = await backend.lock({ command: 'apply' });
    await again.release();
  });

  it('stateCommand returns the one "state" group so other files can add to it', () => {
    const program = new Command('assistants');
    registerState(program, fakeIo(dir));
    const group = stateCommand(program);
    expect(program.commands.filter((c) => c.name() === 'state')).toEqual([group]);
    expect(group.commands.map((c) => c.name())).toEqual(['list', 'show', 'rm']);
  });
});
