/**
 * manifestHash: one sha256 over everything the desired state was made from (the
 * manifest text, the environment, every file read and every attached file's hash, and
 * the process environment variables interpolated, and `--var` values), so a saved plan can tell that its
 * inputs changed.
 */
import { createHash } from 'node:crypto';

export interface HashInputs {
  manifestText: string;
  environment: string;
  /** Instructions and parameters files: path relative to the manifest's folder -> content. */
  texts: ReadonlyMap<string, string>;
  /** Attached files: name -> sha256. */
  files: ReadonlyMap<string, string>;
  envLookups: ReadonlyMap<string, string | undefined>;
  /** `--var` values. */
  variables: Readonly<Record<string, string>>;
}

export function computeManifestHash(inputs: HashInputs): string {
  const hash = createHash('sha256');
  // Length-prefixed parts: no two different input sets produce the same byte stream.
  const part = (label: string, value: string): void => {
    hash.update(`${label}:${Buffer.byteLength(value)}:`);
    hash.update(value);
  };
  part('format', 'assistants-manifest-hash-v1');
  part('environment', inputs.environment);
  part('manifest', inputs.manifestText);
  for (const [path, text] of [...inputs.texts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    part('text-path', path);
    part('text', text);
  }
  for (const [name, sha256] of [...inputs.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    part('file', `${name}=${sha256}`);
  }
  for (const [name, value] of [...inputs.envLookups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    part('env', value === undefined ? `${name} unset` : `${name}=${value}`);
  }
  for (const name of Object.keys(inputs.variables).sort()) part('var', `${name}=${inputs.variables[name]}`);
  return hash.digest('hex');
}
