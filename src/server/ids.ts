/**
 * Object ids as the real API makes them: a prefix plus 24 alphanumerics
 * (`asst_4Gvk7WJuvcSqPuzUciiGSw8j`, `file-DyPZ3y2CkEpRF2OrV0Qp4QQk`).
 * Use `newId(ID_PREFIX.thread)` or any other prefix.
 */
import { randomBytes } from 'node:crypto';

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

export function newId(prefix: string): string {
  let out = prefix;
  while (out.length < prefix.length + ID_LENGTH) {
    for (const byte of randomBytes(32)) {
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
