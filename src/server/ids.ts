/**
 * Object ids as the real API makes them: a prefix plus 24 alphanumerics
 * (`asst_4Gvk7WJuvcSqPuzUciiGSw8j`, `file-DyPZ3y2CkEpRF2OrV0Qp4QQk`).
 * Use `newId(ID_PREFIX.thread)` or any other prefix.
 */
import { randomFillSync } from 'node:crypto';

export const ID_PREFIX = {
  assistant: 'asst_',
  file: 'file-',
  thread: 'thread_',
  message: 'msg_',
  run: 'run_',
  step: 'step_',
  call: 'call_',
} as const;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 24;

/**
 * Random bytes from the system's CSPRNG, drawn 4 KiB at a time: a call for every id and
 * request id cost ~10 us of CPU each, the pool ~2 (node:crypto's randomUUID caches the same way).
 * Each byte is handed out once.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

export function randomBytesPooled(count: number): Buffer {
  if (count > pool.length) throw new RangeError(`at most ${pool.length} random bytes at once`);
  if (poolAt + count > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  // A copy: the pool is refilled in place.
  const bytes = Buffer.from(pool.subarray(poolAt, poolAt + count));
  poolAt += count;
  return bytes;
}

export function newId(prefix: string): string {
  let out = prefix;
  while (out.length < prefix.length + ID_LENGTH) {
    for (const byte of randomBytesPooled(32)) {
      // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && out.length < prefix.length + ID_LENGTH) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/** Unix time in seconds, the unit of every `created_at`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
