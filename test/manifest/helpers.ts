/** Temp folders holding a manifest and its files, and loading them as the CLI would. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatDiagnostic, loadManifest, type LoadResult } from '../../src/manifest/index.js';

const made: string[] = [];

/** A fresh folder with these files (paths relative to it). */
export async function folderWith(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'assistants-manifest-'));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

export async function removeFolders(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export interface LoadIn {
  env?: string;
  processEnv?: NodeJS.ProcessEnv;
  allowOutsidePaths?: boolean;
  file?: string;
}

export function loadIn(dir: string, options: LoadIn = {}): Promise<LoadResult> {
  return loadManifest({
    file: options.file ?? 'assistants.yaml',
    cwd: dir,
    env: options.env,
    processEnv: options.processEnv ?? {},
    allowOutsidePaths: options.allowOutsidePaths,
  });
}

/** Every error as `FILE:LINE:COLUMN: message`, FILE relative to the folder; [] when valid. */
export async function problemsIn(dir: string, options: LoadIn = {}): Promise<string[]> {
  const result = await loadIn(dir, options);
  return result.ok ? [] : result.errors.map((d) => formatDiagnostic(d, dir));
}
