/** Hashes of values by meaning: sha256 of their canonical JSON. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 of a value's canonical JSON. */
export function hashValue(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
