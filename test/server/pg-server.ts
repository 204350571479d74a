/**
 * The local server on PostgreSQL for a test: its connection (the run's PostgreSQL, from
 * test/support/pg.ts), and servers that share one fresh schema, as replicas do.
 *
 *   const cluster = await startReplicas(3);          // three servers, one schema
 *   cluster.servers[0].url ...
 *   await cluster.close();                           // and the schema is dropped
 */
import { pgConnectionFromEnv, type PgConnection } from '../../src/pg-connection.js';
import type { ServerOptions } from '../../src/server/index.js';
import { dropSchema, freshSchema, pgUrl } from '../support/pg.js';
import { startTestServer, type TestServer } from '../support/server.js';

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
