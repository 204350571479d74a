/**
 * The PostgreSQL backend on a real server: the StateBackend contract, then what only it
 * has (history, rollback, rows edited by hand, its lock's holder row and lifetime). Each
 * test works in a schema of its own and drops it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import type { StateHistory } from '../../src/state/backend.js';
import { pgConnectionFromEnv } from '../../src/pg-connection.js';
import { PgStateBackend, type PgBackendOptions } from '../../src/state/pg/backend.js';
import { SCHEMA_VERSION } from '../../src/state/pg/schema.js';
import { adminQuery, dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { runBackendConformance } from './backend-conformance.js';
import { created, sampleState } from './sample.js';
import { STATE_FORMAT_VERSION } from '../../src/state/types.js';

function optionsFor(schema: string, overrides: Partial<PgBackendOptions> = {}): PgBackendOptions {
  return { connection: pgConnectionFromEnv({ PG_CONN_STR: pgUrl() }), schema, project: 'demo', environment: 'dev', skipSchemaCreation: false, ...overrides };
}

runBackendConformance('pg', async () => {
  const schema = freshSchema();
  const opened: PgStateBackend[] = [];
  const open = (): PgStateBackend => {
    const backend = new PgStateBackend(optionsFor(schema));
    opened.push(backend);
    return backend;
  };
  return {
    backend: open(),
    reopen: open,
    environment: 'dev',
    cleanup: async () => {
      await Promise.all(opened.map((b) => b.close()));
      await dropSchema(schema);
    },
  };
});

describe('PgStateBackend', () => {
  let schema: string;
  const opened: PgStateBackend[] = [];
  const open = (overrides: Partial<PgBackendOptions> = {}): PgStateBackend => {
    const backend = new PgStateBackend(optionsFor(schema, overrides));
    opened.push(backend);
    return backend;
  };
  beforeEach(() => {
    schema = freshSchema();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
    await dropSchema(schema);
  });

  const history = (backend: PgStateBackend): StateHistory => {
    if (backend.history === null) throw new Error('no history');
    return backend.history;
  };

  it('keeps every serial in the history, reads one back, and rolls back to it as a new serial', async () => {
    const backend = open();
    const first = await backend.write(sampleState());
    const second = await backend.write({ ...first, assistants: {} });
    const lock = await backend.lock({ command: 'apply' });
    await backend.write({ ...second, files: {} });
    await lock.release();
    const listed = await history(backend).list();
    expect(listed.map((e) => [e.serial, e.assistants, e.files, e.command])).toEqual([
      [3, 0, 0, 'apply'],
      [2, 0, 1, null],
      [1, 2, 1, null],
    ]);
    expect(listed[0]).toMatchObject({ lineage: first.lineage, writtenBy: expect.stringMatching(/.+@.+/) });
    expect(await history(open()).read(1)).toEqual(first);
    const restored = await history(backend).rollback(1);
    expect(restored).toEqual({ ...first, serial: 4 });
    expect(await open().read()).toEqual(restored);
    await expect(history(backend).read(9)).rejects.toThrow(/serial 9 is not in the history/);
    let latest = restored;
    while (latest.serial < 11) latest = await backend.write(latest);
    expect((await history(backend).list()).map((e) => e.serial)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('refuses a rollback across lineages', async () => {
    const backend = open();
    const first = await backend.write(sampleState());
    await backend.write({ ...sampleState(), assistants: {} }, { replace: true });
    const error = await history(backend).rollback(first.serial).catch((e: unknown) => e as UserError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(new RegExp(`serial 1 belongs to lineage ${first.lineage}, the current state to lineage .*; a rollback never crosses lineages`));
    expect((await backend.read())?.serial).toBe(2);
  });

  it('refuses a row edited by hand into something that is not a state, naming the row; rollback repairs it from the history', async () => {
    const backend = open();
    const good = await backend.write(sampleState());
    await adminQuery(`UPDATE "${schema}".states SET document = '{"version": 1, "lineage": "x"}' WHERE project = 'demo'`);
    const error = await open().read().catch((e: unknown) => e as UserError);
    expect(error).toBeInstanceOf(UserError);
    const message = (error as UserError).message;
    expect(message).toMatch(new RegExp(`^pg .* schema ${schema} state demo/dev: state row serial 1 \\(written by .+ at .+\\): invalid state: .*; "assistants state history" lists the serials kept`));
    expect(message).not.toContain('\n');
    await adminQuery(`UPDATE "${schema}".states SET document = '"garbage"' WHERE project = 'demo'`);
    await expect(open().read()).rejects.toThrow(/state row serial 1 .*: not a state: expected a JSON object/);
    expect(await history(backend).read(1)).toEqual(good);
    const repaired = await history(backend).rollback(1);
    expect(await open().read()).toEqual(repaired);
  });

  it('reads rows written in state format 1 (before test results) as the current format: the state, the history, a rollback', async () => {
    const backend = open();
    const first = await backend.write(sampleState());
    const second = await backend.write(first);
    for (const table of ['states', 'state_history']) {
      await adminQuery(`UPDATE "${schema}".${table} SET document = jsonb_set(document, '{version}', '1')`);
    }
    expect(await open().read()).toEqual(second);
    expect(second.version).toBe(STATE_FORMAT_VERSION);
    expect(await history(open()).read(1)).toEqual(first);
    expect(await history(backend).rollback(1)).toEqual({ ...first, serial: 3 });
    const [row] = await adminQuery<{ version: number }>(`SELECT (document->>'version')::int AS version FROM "${schema}".states`);
    expect(row?.version).toBe(STATE_FORMAT_VERSION);
  });

  it('deletes only its own state; environments() lists the states of its project', async () => {
    const dev = open();
    const prod = open({ environment: 'prod' });
    await dev.write(sampleState());
    const kept = await prod.write(sampleState());
    await open({ project: 'other', environment: 'qa' }).write(sampleState());
    expect(await dev.environments()).toEqual(['dev', 'prod']);
    await dev.delete();
    expect(await prod.environments()).toEqual(['prod']);
    expect(await open({ environment: 'prod' }).read()).toEqual(kept);
    expect((await history(prod).list()).map((e) => e.serial)).toEqual([1]);
  });

  it('commits appends that arrive together in one transaction', async () => {
    const backend = open();
    await backend.write(sampleState());
    await Promise.all(Array.from({ length: 40 }, (_, i) => backend.appendJournal(created(`k${i}`, `asst_${i}`))));
    const [commits] = await adminQuery<{ n: string }>(`SELECT count(DISTINCT xmin::text) AS n FROM "${schema}".journal`);
    // Made in one turn of the event loop, all 40 share one commit (group-commit.ts).
    expect(Number(commits?.n)).toBe(1);
    expect((await backend.readJournal()).entries.map((e) => (e.op === 'assistant.created' ? e.key : ''))).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`));
  });

  it('gives the same project and environment in another schema a lock of its own', async () => {
    const other = freshSchema();
    try {
      const here = await open().lock({ command: 'apply' });
      const there = await open({ schema: other }).lock({ command: 'apply' });
      await Promise.all([here.release(), there.release()]);
    } finally {
      await Promise.all(opened.splice(0).map((b) => b.close()));
      await dropSchema(other);
    }
  });

  it('loses the lock with its session: later calls fail, release is harmless, and the next taker gets it at once', async () => {
    const backend = open();
    await backend.write(sampleState());
    const lock = await backend.lock({ command: 'apply' });
    const [row] = await adminQuery<{ backend_pid: number }>(`SELECT backend_pid FROM "${schema}".locks`);
    await adminQuery('SELECT pg_terminate_backend($1)', [row?.backend_pid]);
    await expect(backend.appendJournal(created('a', 'asst_a'))).rejects.toThrow(/lost the connection to PostgreSQL while holding the state lock .*and the lock with it/);
    await expect(backend.read()).rejects.toThrow(/while holding the state lock/);
    await lock.release();
    const next = await open().lock({ command: 'plan' });
    expect(next.notice).toBe(
      `Took over the state lock left by apply (pid ${process.pid} on ${lock.info.host} since ${lock.info.createdAt}, lock ID ${lock.info.id}): its database session is gone.`,
    );
    await next.release();
    // Without a lock held, a lost connection is simply replaced.
    expect((await backend.read())?.serial).toBe(1);
  });

  it('tells a running holder from a gone one by its session, whatever host its row names', async () => {
    const holder = open();
    const lock = await holder.lock({ command: 'apply' });
    // A runner elsewhere: the local file could not check its process; its session tells.
    await adminQuery(`UPDATE "${schema}".locks SET host = 'ci-runner-7', pid = 1`);
    const refused = await open().forceUnlock(lock.info.id).catch((error: unknown) => error as UserError);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).code).toBe('LOCK_HELD');
    expect((refused as UserError).message).toMatch(/held by apply \(pid 1 on ci-runner-7 .*\), which is still running \(its database session, pid \d+, still holds the lock\)/);
    const [row] = await adminQuery<{ backend_pid: number }>(`SELECT backend_pid FROM "${schema}".locks`);
    // With a timeout, it returns once that session has ended.
    await adminQuery('SELECT pg_terminate_backend($1, 5000)', [row?.backend_pid]);
    await expect(holder.read()).rejects.toThrow(/while holding the state lock/);
    // Its session gone, the row holds nothing: it goes without force.
    expect(await open().forceUnlock(lock.info.id)).toEqual({ ...lock.info, host: 'ci-runner-7', pid: 1 });
    await lock.release();
  });

  it('creates its tables once even when several open a fresh schema at once', async () => {
    await Promise.all([1, 2, 3].map(() => PgStateBackend.open(optionsFor(schema)).then((b) => opened.push(b))));
    const [version] = await adminQuery<{ version: number }>(`SELECT version FROM "${schema}".schema_version`);
    expect(version?.version).toBe(SCHEMA_VERSION);
  });

  it('refuses tables of a newer version, and missing tables with skipSchemaCreation', async () => {
    await expect(PgStateBackend.open(optionsFor(schema, { skipSchemaCreation: true }))).rejects.toThrow(
      new RegExp(`schema "${schema}" has no state tables, and --skip-schema-creation \\(PG_SKIP_SCHEMA_CREATION\\) forbids creating them`),
    );
    opened.push(await PgStateBackend.open(optionsFor(schema)));
    opened.push(await PgStateBackend.open(optionsFor(schema, { skipSchemaCreation: true })));
    await adminQuery(`UPDATE "${schema}".schema_version SET version = 2`);
    await expect(PgStateBackend.open(optionsFor(schema))).rejects.toThrow(
      new RegExp(`^PostgreSQL at .*: schema "${schema}" is at version 2, newer than this tool supports \\(1\\); upgrade assistants to use it$`),
    );
  });

  it('says plainly when its user may not create the schema', async () => {
    const role = `assistants_test_${schema}`;
    await adminQuery(`CREATE ROLE "${role}" LOGIN PASSWORD 'unused'`);
    try {
      const url = new URL(pgUrl());
      url.username = role;
      url.password = 'unused';
      const connection = pgConnectionFromEnv({ PG_CONN_STR: url.toString() });
      await expect(PgStateBackend.open({ ...optionsFor(schema), connection })).rejects.toThrow(
        new RegExp(`^PostgreSQL at ${role}@.*: no permission to create schema "${schema}"; have an administrator create it \\(docs/state-postgres.md has the SQL\\) and run with --skip-schema-creation`),
      );
    } finally {
      await adminQuery(`DROP ROLE "${role}"`);
    }
  });
});
