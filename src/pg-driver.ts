/**
 * node-postgres, loaded on first use (a command or a server that never touches PostgreSQL
 * does not pay for it). A shared helper, beside pg-connection.ts.
 *
 * At load node-postgres probes for Cloudflare Workers, and unless `navigator.userAgent`
 * answers first it constructs a fetch `Response`, which on Node 20 (no `navigator`; Node
 * 21+ has one) loads Node's whole built-in fetch: about 30 ms. So `navigator` is defined
 * as Node 21+ defines it while pg loads.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let driver: typeof import('pg') | undefined;

export function loadPgDriver(): typeof import('pg') {
  if (driver !== undefined) return driver;
  const shim = !('navigator' in globalThis);
  if (shim) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true });
  try {
    driver = require('pg') as typeof import('pg');
  } finally {
    if (shim) Reflect.deleteProperty(globalThis, 'navigator');
  }
  return driver;
}
