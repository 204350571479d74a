/**
 * Paths named in a manifest are relative to the manifest's folder and, unless the
 * caller allows it, must stay inside it (after following symbolic links), so a
 * manifest from a pull request cannot upload `~/.ssh/id_rsa`.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { realpath } from 'node:fs/promises';
import { describeFsError } from './source-file.js';

export type ResolvedPath = { ok: true; path: string } | { ok: false; message: string };

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

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
  const outside = "is outside the manifest's folder: move the file under it, or pass --allow-outside-paths";
  if (!allowOutsidePaths && !inside(manifestDir, lexical)) return { ok: false, message: outside };
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    return { ok: false, message: describeFsError(error) };
  }
  if (!allowOutsidePaths) {
    if (!inside(await (realDir ?? realFolder(manifestDir)), real)) {
      return { ok: false, message: "leads outside the manifest's folder through a symbolic link: move the file under it, or pass --allow-outside-paths" };
    }
  }
  return { ok: true, path: lexical };
}

/** The folder's real path (symbolic links followed), or the folder as given when it cannot be resolved. */
export function realFolder(folder: string): Promise<string> {
  return realpath(folder).catch(() => folder);
}
