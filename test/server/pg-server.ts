/**
 * The local server on PostgreSQL for a test: its connection (the run's PostgreSQL, from
 * test/support/pg.ts), and servers that share one fresh schema, as replicas do.
 *
 *   const cluster = await startReplicas(3);          // three servers, one schema
 *   cluster.servers[0].url ...
 *   await cluster.close();                           // and the schema is dropped
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { pgConnectionFromEnv, type PgConnection } from '../../src/pg-connection.js';
import type { ServerOptions } from '../../src/server/index.js';
import { dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { remoteServer, startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';

/** The built CLI (`npm test` builds it first). */
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** The run's PostgreSQL as a connection (nothing read from this process's environment). */
export function databaseConnection(url = pgUrl()): PgConnection {
  return pgConnectionFromEnv({}, { text: url, name: 'the test database URL' });
}

export interface Replicas {
  schema: string;
  servers: TestServer[];
  close(): Promise<void>;
}

/** `count` servers on one fresh schema, each with `options`; close() stops them and drops the schema. */
export async function startReplicas(count: number, options: ServerOptions = {}): Promise<Replicas> {
  const schema = freshSchema();
  const servers: TestServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      servers.push(await startTestServer({ ...options, database: { connection: databaseConnection(), schema, poolSize: 4 } }));
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    await dropSchema(schema);
    throw error;
  }
  return {
    schema,
    servers,
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
      await dropSchema(schema);
    },
  };
}

export interface ServeProcess {
  server: TestServer;
  stderr(): string;
  /** Sends `signal` (default SIGKILL) and waits for the exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `assistants serve --port 0 ARGS` from the built CLI (dist/), as an operator runs it:
 * resolves once it prints `listening on URL`. Must be called inside a test: the process is
 * killed when the test ends, however it ends.
 */
export async function startServeProcess(args: readonly string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--api-key', TEST_API_KEY, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  // Also when the test fails or times out: a replica left running would hold its schema's connections.
  onTestFinished(() => stop().then(() => undefined));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const found = /^listening on (\S+)$/.exec(line);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    void exited.then(() => reject(new Error(`serve exited before listening: ${stderr}`)));
  });
  return {
    server: remoteServer(url),
    stderr: () => stderr,
    stop,
  };
}
