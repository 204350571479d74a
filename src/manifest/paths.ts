/**
 * Paths named in a manifest are relative to the manifest's folder and, unless the
 * caller allows it, must stay inside it (after following symbolic links), so a
 * manifest from a pull request cannot upload `~/.ssh/id_rsa`.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { describeFsError } from './source-file.js';

export type ResolvedPath = { ok: true; path: string } | { ok: false; message: string };

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const OUTSIDE = "is outside the manifest's folder: move the file under it, or pass --allow-outside-paths";
const THROUGH_LINK = "leads outside the manifest's folder through a symbolic link: move the file under it, or pass --allow-outside-paths";

/**
 * `realDir`: the manifest folder's real path, when the caller resolves many paths (one
 * realpath of the folder for all of them); otherwise it is looked up here.
 */
export async function resolveManifestPath(
  manifestDir: string,
  raw: string,
  allowOutsidePaths: boolean,
  realDir?: Promise<string>,
): Promise<ResolvedPath> {
  const lexical = resolve(manifestDir, raw);
  if (!allowOutsidePaths && !inside(manifestDir, lexical)) return { ok: false, message: OUTSIDE };
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    return { ok: false, message: describeFsError(error) };
  }
  if (!allowOutsidePaths && !inside(await (realDir ?? realFolder(manifestDir)), real)) return { ok: false, message: THROUGH_LINK };
  return { ok: true, path: lexical };
}

/**
 * resolveManifestPath without waiting on the thread pool, for the thousands of attached
 * files: a realpath on a local disk takes microseconds, a trip through the pool and a
 * promise far longer. `realDir`: the manifest folder's real path (realFolder).
 */
export function resolveManifestPathSync(manifestDir: string, raw: string, allowOutsidePaths: boolean, realDir: string): ResolvedPath {
  const lexical = resolve(manifestDir, raw);
  if (!allowOutsidePaths && !inside(manifestDir, lexical)) return { ok: false, message: OUTSIDE };
  let real: string;
  try {
    real = realpathSync.native(lexical);
  } catch (error) {
    return { ok: false, message: describeFsError(error) };
  }
  if (!allowOutsidePaths && !inside(realDir, real)) return { ok: false, message: THROUGH_LINK };
  return { ok: true, path: lexical };
}

/** The folder's real path (symbolic links followed), or the folder as given when it cannot be resolved. */
export function realFolder(folder: string): Promise<string> {
  return realpath(folder).catch(() => folder);
}
