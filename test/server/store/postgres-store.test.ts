/** The store conformance suite on the PostgreSQL store: a fresh schema per test, dropped after. */
import { PgStore } from '../../../src/server/store/postgres/pg-store.js';
import { dropSchema, freshSchema } from '../../support/pg.js';
import { databaseConnection } from '../pg-server.js';
import { storeConformance } from './conformance.js';

storeConformance('postgres', async () => {
  const schema = freshSchema();
  const store = await PgStore.open({ connection: databaseConnection(), schema, poolSize: 4, leaseMs: 15_000, log: () => undefined });
  return {
    store,
    close: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
});
