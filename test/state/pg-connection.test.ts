/** Reading the PostgreSQL connection from the environment, as libpq does, without ever quoting a password; copying state; the docs' SQL. */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { connectionSecrets, pgConnectionFromEnv } from '../../src/pg-connection.js';
import { planCopy } from '../../src/state/copy.js';
import { version1 } from '../../src/state/pg/schema.js';
import { sampleState } from './sample.js';

const error = (env: NodeJS.ProcessEnv): UserError => {
  try {
    pgConnectionFromEnv(env);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError');
};

describe('pgConnectionFromEnv', () => {
  it('reads a URL, with escapes and libpq parameters, and describes it without the password', () => {
    const c = pgConnectionFromEnv({ PG_CONN_STR: 'postgresql://ci%40corp:p%40ss@db.internal:6543/state?sslmode=require&connect_timeout=3' });
    expect(c).toMatchObject({ host: 'db.internal', port: 6543, user: 'ci@corp', password: 'p@ss', database: 'state', ssl: { rejectUnauthorized: false }, connectTimeoutMs: 3_000 });
    expect(c.description).toBe('ci@corp@db.internal:6543/state');
    expect(c.secrets).toContain('p@ss');
  });

  it("reads a libpq key=value string, quotes and backslashes included", () => {
    const c = pgConnectionFromEnv({ PG_CONN_STR: "host=/var/run/postgresql dbname = 'my db' user=ops password='it\\'s a \\\\secret'" });
    expect(c).toMatchObject({ host: '/var/run/postgresql', port: 5432, user: 'ops', database: 'my db', password: "it's a \\secret", ssl: false });
  });

  it('fills what the string leaves out from PG* variables, then libpq defaults', () => {
    const c = pgConnectionFromEnv({ PG_CONN_STR: 'postgres://db/x', PGUSER: 'app', PGPASSWORD: 'pw', PGPORT: '5433', PGSSLMODE: 'verify-full', PGHOST: 'ignored' });
    expect(c).toMatchObject({ host: 'db', port: 5433, user: 'app', password: 'pw', database: 'x', ssl: { rejectUnauthorized: true } });
    const defaults = pgConnectionFromEnv({});
    expect(defaults).toMatchObject({ host: 'localhost', port: 5432, user: userInfo().username, database: userInfo().username, password: undefined, ssl: false, connectTimeoutMs: 10_000 });
  });

  it('refuses what it cannot use with one line that never quotes the string', () => {
    const secret = 'hunter2-very-secret';
    for (const [value, expected] of [
      [`postgres://u:${secret}@[bad`, /^PG_CONN_STR is not a valid URL; /],
      [`host=db password=${secret} sslcert=x`, /^PG_CONN_STR has the keyword "sslcert", which this tool does not support/],
      [`host=db password='${secret}`, /^PG_CONN_STR has an unterminated quoted value; /],
      [`postgres://u:${secret}@db/x?target_session_attrs=any`, /^PG_CONN_STR has the parameter "target_session_attrs"/],
    ] as const) {
      const e = error({ PG_CONN_STR: value });
      expect(e.message).toMatch(expected);
      expect(e.message).not.toContain(secret);
    }
    expect(error({ PGPORT: 'db' }).message).toBe('the port from PGPORT is not a port number (1-65535)');
    expect(error({ PG_CONN_STR: 'postgres://db/x?sslmode=sometimes' }).message).toMatch(/^sslmode "sometimes" \(from PG_CONN_STR\) is not one of/);
  });

  it('lists the secrets to scrub even from a string it cannot parse', () => {
    expect(connectionSecrets({ PG_CONN_STR: "host=db password='oops", PGPASSWORD: 'pw2' })).toEqual(["host=db password='oops", 'pw2']);
    expect(connectionSecrets({ PG_CONN_STR: 'postgres://u:pw1@db/x' })).toEqual(['postgres://u:pw1@db/x', 'pw1']);
  });
});

describe('planCopy (state push / pull)', () => {
  const where = { from: 'A', to: 'B' };
  it('writes over nothing or an older serial, and sees an identical state as nothing to do', () => {
    const state = { ...sampleState(), serial: 3 };
    expect(planCopy(state, null, false, where)).toEqual({ kind: 'write' });
    expect(planCopy(state, { ...state, serial: 2, assistants: {} }, false, where)).toEqual({ kind: 'write' });
    expect(planCopy(state, { ...state, toolVersion: '9.9.9' }, false, where)).toEqual({ kind: 'same' });
    expect(planCopy(state, { ...state, serial: 7 }, false, where)).toEqual({ kind: 'same' });
  });

  it('refuses another lineage, a newer serial and a divergence at the same serial, unless forced', () => {
    const state = { ...sampleState(), serial: 3 };
    const cases: Array<[typeof state, RegExp]> = [
      [{ ...sampleState(), serial: 1 }, /B holds a state of lineage .*, A one of lineage/],
      [{ ...state, serial: 4, files: {} }, /B is newer \(serial 4\) than A \(serial 3\)/],
      [{ ...state, assistants: {} }, /B and A both have serial 3 but differ/],
    ];
    for (const [target, message] of cases) {
      expect(() => planCopy(state, target, false, where)).toThrow(message);
      expect(planCopy(state, target, true, where)).toEqual({ kind: 'replace' });
    }
  });
});

describe('docs/state-postgres.md', () => {
  it('shows an administrator exactly the SQL the backend runs to create its tables', async () => {
    const docs = await readFile(new URL('../../docs/state-postgres.md', import.meta.url), 'utf8');
    const sql = `CREATE SCHEMA assistants_state;\n\n${version1('assistants_state').join(';\n\n')};`;
    expect(docs).toContain(`\`\`\`sql\n${sql}\n\`\`\``);
  });
});
