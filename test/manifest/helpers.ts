/** Temp folders holding a manifest and its files, and loading them as the CLI would. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatDiagnostic, loadManifest, type LoadResult } from '../../src/manifest/index.js';
import { makeTempDir } from '../support/temp-dir.js';

/** A fresh folder with these files (paths relative to it), removed after the test file. */
export async function folderWith(files: Record<string, string | Buffer>): Promise<string> {
  const { dir } = await makeTempDir('assistants-manifest-');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
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
