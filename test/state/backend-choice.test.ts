/**
 * Which state backend a command opens: --state-backend, else ASSISTANTS_STATE_BACKEND,
 * else the manifest's backend:, else the local file. Driven in-process through runCli.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { LocalStateBackend } from '../../src/state/local-backend.js';
import { fakeIo } from '../support/fake-io.js';
import { dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { sampleState } from './sample.js';
import { makeTempDir } from '../support/temp-dir.js';

describe('choosing the state backend', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let schema: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
    schema = freshSchema();
    await writeFile(join(dir, 'assistants.yaml'), `version: 1\nproject: demo\nbackend: { type: pg, schema: ${schema} }\nassistants: {}\n`);
    await mkdir(join(dir, '.assistants', 'state'), { recursive: true });
    await new LocalStateBackend(join(dir, '.assistants', 'state', 'dev.json')).write({ ...sampleState() });
  });
  afterEach(async () => {
    await cleanup();
    await dropSchema(schema);
  });

  const run = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> => {
    const io = fakeIo(dir, { PG_CONN_STR: pgUrl(), ...env });
    const code = await runCli(args, io);
    return { code, out: io.out(), err: io.err() };
  };

  it("follows the manifest's backend: unless the environment or the flag say otherwise", async () => {
    expect(await run(['state', 'list', '--env', 'dev'])).toEqual({ code: 0, out: '', err: expect.stringMatching(new RegExp(`^No state at pg .* schema ${schema} state demo/dev\\.\\n$`)) });
    const local = await run(['state', 'list', '--env', 'dev'], { ASSISTANTS_STATE_BACKEND: 'local' });
    expect(local.out).toBe('billing\tasst_billing\nsupport\tasst_support\nfile:handbook\tfile-handbook\n');
    expect((await run(['state', 'list', '--env', 'dev', '--state-backend', 'local'], { ASSISTANTS_STATE_BACKEND: 'pg' })).out).toBe(local.out);
    expect((await run(['state', 'list', '--env', 'dev', '--state-backend', 'pg'], { ASSISTANTS_STATE_BACKEND: 'local' })).err).toMatch(/^No state at pg /);
  });

  it('refuses what does not fit the chosen backend, in one line', async () => {
    expect(await run(['state', 'list'], { ASSISTANTS_STATE_BACKEND: 's3' })).toEqual({ code: 1, out: '', err: 'Error: ASSISTANTS_STATE_BACKEND="s3": the state backend is "local" or "pg"\n' });
    expect((await run(['state', 'list', '--state-backend', 'local', '--skip-schema-creation'])).err).toBe(
      'Error: --skip-schema-creation applies to the pg state backend only; this command uses the local state file.\n',
    );
    expect((await run(['state', 'history', '--env', 'dev', '--state-backend', 'local'])).err).toMatch(
      /^Error: .*dev\.json: the local state file keeps only the previous version \(\.backup\); every serial is kept by the pg backend \(--state-backend pg\)\n$/,
    );
    expect((await run(['state', 'list', '-f', 'elsewhere.yaml', '--state-backend', 'pg'])).err).toBe(
      "Error: the pg state backend keys the state by the manifest's project, and there is no manifest with a project at elsewhere.yaml; give -f.\n",
    );
    expect((await run(['state', 'list'], { PG_SCHEMA_NAME: 'Bad-Name' })).err).toMatch(/^Error: PG_SCHEMA_NAME="Bad-Name": a schema name is/);
    for (const skip of [['--skip-schema-creation'], []]) {
      const result = await run(['state', 'list', ...skip], skip.length === 0 ? { PG_SKIP_SCHEMA_CREATION: 'true' } : {});
      expect(result.err).toMatch(new RegExp(`^Error: PostgreSQL at .*: schema "${schema}" has no state tables, and --skip-schema-creation \\(PG_SKIP_SCHEMA_CREATION\\) forbids creating them`));
    }
  });

  it('moves the local state into PostgreSQL and back with push and pull', async () => {
    const pushed = await run(['state', 'push', '--env', 'dev']);
    expect(pushed.code, pushed.err).toBe(0);
    expect(pushed.out).toMatch(/^Copied serial 1 of lineage .* to pg .* state demo\/dev, as serial 2\.\n$/);
    expect((await run(['state', 'list', '--env', 'dev'])).out).toBe('billing\tasst_billing\nsupport\tasst_support\nfile:handbook\tfile-handbook\n');
    expect((await run(['state', 'push', '--env', 'dev'])).out).toMatch(/already holds this state \(lineage .*, serial 2\); nothing to copy\.\n$/);
    await new LocalStateBackend(join(dir, '.assistants', 'state', 'dev.json')).write({ ...sampleState(), serial: 1, assistants: {} }, { replace: true });
    const refused = await run(['state', 'pull', '--env', 'dev']);
    expect(refused.err).toMatch(/^Error: refusing to overwrite: .*dev\.json holds a state of lineage/);
    expect((await run(['state', 'pull', '--env', 'dev', '--force'])).out).toMatch(/as serial 3 \(forced over lineage .*\)\.\n$/);
    expect((await run(['state', 'list', '--env', 'dev', '--state-backend', 'local'])).out).toBe('billing\tasst_billing\nsupport\tasst_support\nfile:handbook\tfile-handbook\n');
  });
});
