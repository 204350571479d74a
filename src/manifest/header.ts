/**
 * What commands that do not plan (state list, force-unlock, ...) need from a manifest: its
 * project and its `backend:` block, to find the state. Reads and shape-checks the file
 * but reports only problems in those two fields, so a manifest being edited elsewhere
 * does not lock anyone out of their state.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ManifestDiagnostic } from './diagnostics.js';
import { readManifest } from './load.js';
import { isRecord } from './tree.js';
import type { ManifestBackend } from './types.js';

export interface ManifestHeader {
  project: string;
  backend?: ManifestBackend;
}

export type HeaderResult =
  | { ok: true; header: ManifestHeader | null }
  | { ok: false; errors: ManifestDiagnostic[] };

const HEADER_FIELDS = ['/project', '/backend'];

/** The header of the manifest at `file`, or null when there is no such file. */
export async function readManifestHeader(options: { file: string; cwd: string }): Promise<HeaderResult> {
  const path = resolve(options.cwd, options.file);
  const exists = await stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : true),
  );
  if (!exists) return { ok: true, header: null };
  const read = await readManifest(options);
  if (!read.ok) return read;
  const errors = read.manifest.errors.filter((d) => d.path === undefined || HEADER_FIELDS.some((f) => d.path === f || d.path?.startsWith(`${f}/`)));
  if (errors.length > 0) return { ok: false, errors };
  const root = isRecord(read.manifest.tree.value) ? read.manifest.tree.value : {};
  const project = typeof root.project === 'string' ? root.project : '';
  const backend = isRecord(root.backend) ? (root.backend as unknown as ManifestBackend) : undefined;
  return { ok: true, header: { project, ...(backend ? { backend: { ...backend } } : {}) } };
}
