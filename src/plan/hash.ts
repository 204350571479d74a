/** Hashes of values by meaning: sha256 of their canonical JSON. */
import { hash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

/** One call, no Hash object: a plan hashes thousands of small texts (the fingerprints). */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** sha256 of a value's canonical JSON. */
export function hashValue(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
