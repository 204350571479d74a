/**
 * manifestHash: one sha256 over everything the desired state was made from (the
 * manifest text, the environment, every file read and every attached file's hash, and
 * the value of every variable), so a saved plan can tell that its inputs changed.
 *
 * A sensitive variable's value goes in only through scrypt, a deliberately slow hash:
 * the manifest hash is printed in plans, and a plain sha256 over a short password and a
 * manifest everyone can read would let anyone try guesses at billions a second.
 */
import { createHash, scrypt } from 'node:crypto';
import type { ResolvedVariable } from './interpolate.js';

export interface HashInputs {
  manifestText: string;
  environment: string;
  /** Instructions and parameters files: path relative to the manifest's folder -> content. */
  texts: ReadonlyMap<string, string>;
  /** Attached files: name -> sha256. */
  files: ReadonlyMap<string, string>;
  /** Every declared variable, as resolved. */
  variables: ReadonlyMap<string, ResolvedVariable>;
}

export async function computeManifestHash(inputs: HashInputs): Promise<string> {
  const variables = await Promise.all(
    [...inputs.variables].sort(([a], [b]) => (a < b ? -1 : 1)).map(async ([name, { value, sensitive }]) => {
      if (value === null) return `${name} unset`;
      return sensitive ? `${name} sensitive ${await slowHash(name, value)}` : `${name}=${value}`;
    }),
  );
  // Length-prefixed parts: no two different input sets produce the same byte stream. Hashed
  // as one string (thousands of parts; an ASCII prefix between two values, so their UTF-8 is the parts' UTF-8).
  const parts: string[] = [];
  const part = (label: string, value: string): void => {
    parts.push(`${label}:${Buffer.byteLength(value)}:`, value);
  };
  part('format', 'assistants-manifest-hash-v2');
  part('environment', inputs.environment);
  part('manifest', inputs.manifestText);
  for (const [path, text] of [...inputs.texts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    part('text-path', path);
    part('text', text);
  }
  for (const [name, sha256] of [...inputs.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    part('file', `${name}=${sha256}`);
  }
  for (const variable of variables) part('var', variable);
  return createHash('sha256').update(parts.join('')).digest('hex');
}

/** scrypt at N=2^15 (about 0.1 s and 32 MiB a value), remembered for the process: validate resolves every environment. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const slowHashes = new Map<string, Promise<string>>();

function slowHash(name: string, value: string): Promise<string> {
  const salt = `assistants-sensitive-variable-v1\0${name}`;
  // Remembered under a fast hash of the pair, so the map never holds the value itself.
  const id = createHash('sha256').update(salt).update('\0').update(value).digest('hex');
  let pending = slowHashes.get(id);
  if (pending === undefined) {
    pending = new Promise<string>((resolve, reject) =>
      scrypt(value, salt, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key.toString('hex')))),
    );
    slowHashes.set(id, pending);
  }
  return pending;
}
