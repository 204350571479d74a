import { spawnSync } from 'node:child_process';
import { appendFile, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { LocalStateBackend } from '../../src/state/local-backend.js';
import { runBackendConformance } from './backend-conformance.js';
import { created, sampleState } from './sample.js';
import { makeTempDir } from '../support/temp-dir.js';

runBackendConformance('local file', async () => {
  const { dir, cleanup } = await makeTempDir();
  const path = join(dir, '.assistants', 'state', 'dev.json');
  return { backend: new LocalStateBackend(path), reopen: () => new LocalStateBackend(path), environment: 'dev', cleanup };
});

describe('LocalStateBackend files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let path: string;
  let backend: LocalStateBackend;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
    path = join(dir, '.assistants', 'state', 'dev.json');
    backend = new LocalStateBackend(path);
  });
  afterEach(() => cleanup());

  const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

  it('creates its folders 0700 and every file 0600', async () => {
    const state = await backend.write(sampleState());
    await backend.write(state);
    await backend.appendJournal(created('x', 'asst_x'));
    const lock = await backend.lock({ command: 'apply' });
    expect(await mode(join(dir, '.assistants'))).toBe(0o700);
    expect(await mode(join(dir, '.assistants', 'state'))).toBe(0o700);
    for (const file of [path, `${path}.backup`, `${path}.journal`, `${path}.lock`]) {
      expect(await mode(file), file).toBe(0o600);
    }
    await lock.release();
  });

  it('keeps the previous version as <path>.backup', async () => {
    const first = await backend.write(sampleState());
    expect(await readFile(`${path}.backup`, 'utf8').catch(() => 'none')).toBe('none');
    const firstText = await readFile(path, 'utf8');
    await backend.write({ ...first, assistants: {} });
    expect(await readFile(`${path}.backup`, 'utf8')).toBe(firstText);
  });

  it('writes sorted keys, two-space indented, with a final newline', async () => {
    await backend.write(sampleState());
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    const topKeys = [...text.matchAll(/^ {2}"(\w+)":/gm)].map((m) => m[1]);
    expect(topKeys).toEqual(['assistants', 'endpoint', 'environment', 'files', 'lineage', 'project', 'serial', 'toolVersion', 'version']);
    expect(text.indexOf('"billing"')).toBeLessThan(text.indexOf('"support"'));
  });

  it('is not confused by a temp file left by a crash mid-write', async () => {
    const written = await backend.write(sampleState());
    await writeFile(join(dir, '.assistants', 'state', '.dev.json.3f2a.tmp'), '{"version": 1, "lin', { mode: 0o600 });
    expect(await backend.read()).toEqual(written);
    const next = await backend.write(written);
    expect(await backend.read()).toEqual(next);
  });

  it('leaves no temp files behind after writing', async () => {
    const state = await backend.write(sampleState());
    await backend.write(state);
    const lock = await backend.lock({ command: 'apply' });
    await lock.release();
    expect((await readdir(join(dir, '.assistants', 'state'))).sort()).toEqual(['dev.json', 'dev.json.backup']);
  });

  it('appends to the journal without rewriting the state file: one line per entry', async () => {
    await backend.write(sampleState());
    const before = await stat(path);
    const text = await readFile(path, 'utf8');
    let size = 0;
    for (let i = 0; i < 20; i += 1) {
      await backend.appendJournal(created(`k${i}`, `asst_${i}`));
      const grown = (await stat(`${path}.journal`)).size;
      const line = `${JSON.stringify(JSON.parse((await readFile(`${path}.journal`, 'utf8')).split('\n')[i] ?? ''))}\n`;
      expect(grown - size).toBe(Buffer.byteLength(line));
      size = grown;
    }
    const after = await stat(path);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('ignores a torn last journal line, and cuts it off before the next append', async () => {
    await backend.write(sampleState());
    await backend.appendJournal(created('a', 'asst_a'));
    await appendFile(`${path}.journal`, '{"op":"assistant.created","key":"b","id":"as');
    const reader = new LocalStateBackend(path);
    expect(await reader.readJournal()).toEqual({ entries: [created('a', 'asst_a')], tornTail: true });
    await reader.appendJournal(created('c', 'asst_c'));
    expect(await reader.readJournal()).toEqual({ entries: [created('a', 'asst_a'), created('c', 'asst_c')], tornTail: false });
  });

  it('names the file and line of a corrupt journal line that is not the last', async () => {
    await backend.write(sampleState());
    await writeFile(`${path}.journal`, `not json\n${JSON.stringify(created('a', 'asst_a'))}\n`);
    await expect(backend.readJournal()).rejects.toThrow(`${path}.journal:1: journal line is not valid JSON`);
    await writeFile(`${path}.journal`, `{"op":"assistant.exploded","id":"x","at":"${'2026-01-02T03:04:05Z'}"}\n`);
    await expect(backend.readJournal()).rejects.toThrow(new RegExp(`^${path}\\.journal:1: invalid journal entry: .*op`));
  });

  it('is not blocked by a lock guard left by a process that died mid-takeover', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const lock = await backend.lock({ command: 'apply' });
    const guard = { id: 'g', pid: deadPid, host: hostname(), command: 'apply', createdAt: new Date().toISOString(), who: 'x' };
    await writeFile(`${path}.lock.guard`, JSON.stringify(guard));
    await lock.release();
    const second = await backend.lock({ command: 'apply' });
    await writeFile(`${path}.lock.guard`, 'garbage');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock.guard`, old, old);
    await second.release();
    expect((await readdir(join(dir, '.assistants', 'state'))).sort()).toEqual([]);
  });

  describe('reading a bad state gives one line naming the file and the problem', () => {
    const readError = async (content: string): Promise<UserError> => {
      await backend.write(sampleState());
      await writeFile(path, content);
      const error = await backend.read().then(
        () => new Error('read succeeded'),
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(UserError);
      const userError = error as UserError;
      expect(userError.code).toBe('STATE');
      expect(userError.message).not.toContain('\n');
      expect(userError.message.startsWith(`${path}: `)).toBe(true);
      return userError;
    };

    it('corrupt JSON', async () => {
      expect((await readError('{"version": 1,')).message).toMatch(/not valid JSON.*backup/);
    });

    it('not an object', async () => {
      expect((await readError('[1]')).message).toMatch(/expected a JSON object/);
    });

    it('a hand-edited field of the wrong type', async () => {
      const state = { ...sampleState(), serial: 'three' };
      expect((await readError(JSON.stringify(state))).message).toMatch(/\/serial must be integer/);
    });

    it('a hand-edited hash', async () => {
      const state = sampleState();
      const edited = { ...state, assistants: { support: { ...state.assistants['support'], applied: { model: 'abc' } } } };
      expect((await readError(JSON.stringify(edited))).message).toMatch(/\/assistants\/support\/applied/);
    });

    it('an unknown property (a secret pasted in, say)', async () => {
      const state = { ...sampleState(), apiKey: 'sk-test' };
      const error = await readError(JSON.stringify(state));
      expect(error.message).toMatch(/unknown property "apiKey"/);
      expect(error.message).not.toContain('sk-test');
    });

    it('a newer format version', async () => {
      const error = await readError(JSON.stringify({ ...sampleState(), version: 4 }));
      expect(error.message).toMatch(/version 4 is newer than this tool supports \(3\); upgrade assistants/);
    });

    it('no version at all', async () => {
      const { version: _, ...rest } = sampleState();
      expect((await readError(JSON.stringify(rest))).message).toMatch(/not a state file: "version" must be a positive integer/);
    });
  });
});
