/**
 * Diagnostics: what is wrong with a manifest, and exactly where (1-based line and
 * column in the file named, which is the manifest or a file it reads).
 */
import { isAbsolute, relative } from 'node:path';

export interface ManifestDiagnostic {
  /** Absolute path of the file the problem is in (formatDiagnostic shows it relative). */
  file: string;
  line: number;
  column: number;
  message: string;
  /** JSON pointer to the node in `file`, when the problem is about one node. */
  path?: string;
}

/** The diagnostic's file relative to `cwd`, as a user typed it. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel === '' || isAbsolute(rel) ? file : rel;
}

/**
 * `FILE:LINE:COLUMN: message`, the format editors and CI annotations understand, with
 * FILE relative to `cwd` (default: the process's working directory).
 */
export function formatDiagnostic(d: ManifestDiagnostic, cwd?: string): string {
  return `${displayPath(d.file, cwd)}:${d.line}:${d.column}: ${d.message}`;
}

/**
 * Exact repeats removed; files in the order they first appear (the manifest first),
 * and within a file by position.
 */
export function sortDiagnostics(diagnostics: readonly ManifestDiagnostic[]): ManifestDiagnostic[] {
  const seen = new Set<string>();
  const fileOrder = new Map<string, number>();
  const unique = diagnostics.filter((d) => {
    if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
    const id = formatDiagnostic(d);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const order = (d: ManifestDiagnostic): number => fileOrder.get(d.file) ?? 0;
  return unique.sort((a, b) => order(a) - order(b) || a.line - b.line || a.column - b.column);
}
