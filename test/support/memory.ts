/**
 * Memory readings for tests that hold the server to bounded memory. `settledExternalBytes`
 * collects garbage first (V8's gc, exposed at run time), so what it reports is what is
 * still held: Buffers and ArrayBuffers, where upload and download bytes live.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export function settledExternalBytes(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

export const MiB = 1024 * 1024;
