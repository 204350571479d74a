/**
 * Paths named in a manifest are relative to the manifest's folder and, unless the
 * caller allows it, must stay inside it (after following symbolic links), so a
 * manifest from a pull request cannot upload `~/.ssh/id_rsa`.
 */
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { describeFsError } from './source-file.js';

export type ResolvedPath = { ok: true; path: string } | { ok: false; message: string };

/** Both absolute and resolved (`resolve`, `realpath`): the common case answered by a prefix, the rest by path.relative. */
function inside(folder: string, path: string): boolean {
  // Under the folder, with a first part that does not start with `..` (path.relative's answer would, and counts as outside).
  if (path.length > folder.length + 1 && path.startsWith(folder) && path[folder.length] === sep && !path.startsWith('..', folder.length + 1)) return true;
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A `.` or `..` part of a path. */
const DOT_PART = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * resolve(folder, raw) for a folder already resolved: a relative path with nothing to
 * normalize (no `.` or `..` part, no empty part) is the folder, a slash and the path.
 */
export function resolveIn(folder: string, raw: string): string {
  const plain = sep === '/' && folder !== '/' && raw !== '' && !raw.startsWith('/') && !raw.endsWith('/') && !raw.includes('//') && !DOT_PART.test(raw);
  return plain ? `${folder}/${raw}` : resolve(folder, raw);
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
 * promise far longer. `manifestDir`: absolute and resolved; `realDir`: its real path (realFolder).
 */
export function resolveManifestPathSync(
  manifestDir: string,
  raw: string,
  allowOutsidePaths: boolean,
  realDir: string,
  realFolders?: Map<string, string>,
): ResolvedPath & { stats?: Stats } {
  const lexical = resolveIn(manifestDir, raw);
  if (!allowOutsidePaths && !inside(manifestDir, lexical)) return { ok: false, message: OUTSIDE };
  const known = realFolders === undefined ? undefined : realPathByFolder(lexical, realFolders);
  let real: string;
  try {
    real = known?.real ?? realpathSync.native(lexical);
  } catch (error) {
    return { ok: false, message: describeFsError(error) };
  }
  if (!allowOutsidePaths && !inside(realDir, real)) return { ok: false, message: THROUGH_LINK };
  return known === undefined ? { ok: true, path: lexical } : { ok: true, path: lexical, stats: known.stats };
}

/**
 * The real path of `lexical` from its folder's (looked up once per folder, in `realFolders`)
 * and one lstat, which is also the file's stat, when the file is not a symbolic link.
 * Undefined for anything else (a link, an error): realpath answers that, with its own error.
 */
function realPathByFolder(lexical: string, realFolders: Map<string, string>): { real: string; stats: Stats } | undefined {
  const folder = dirname(lexical);
  if (folder === lexical) return undefined;
  try {
    let realFolder = realFolders.get(folder);
    if (realFolder === undefined) {
      realFolder = realpathSync.native(folder);
      realFolders.set(folder, realFolder);
    }
    const stats = lstatSync(lexical);
    return stats.isSymbolicLink() ? undefined : { real: join(realFolder, basename(lexical)), stats };
  } catch {
    return undefined;
  }
}

/** The folder's real path (symbolic links followed), or the folder as given when it cannot be resolved. */
export function realFolder(folder: string): Promise<string> {
  return realpath(folder).catch(() => folder);
}
