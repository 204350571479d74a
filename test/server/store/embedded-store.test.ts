/** The store conformance suite on the embedded store: in memory, and with a journal. */
import { join } from 'node:path';
import { EmbeddedStore } from '../../../src/server/store/embedded/embedded-store.js';
import { makeTempDir } from '../../support/temp-dir.js';
import { storeConformance } from './conformance.js';

storeConformance('embedded (memory)', async () => {
  const store = await EmbeddedStore.open({});
  return { store, close: () => store.close() };
});

storeConformance('embedded (journal)', async () => {
  const store = await EmbeddedStore.open({ dataFile: join((await makeTempDir('store-')).dir, 'data.jsonl') });
  return { store, close: () => store.close() };
});
