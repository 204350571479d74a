/**
 * Files under `files:` that assistants attach: checked without reading them (exists, a
 * regular file, readable, within the API's upload limit), then hashed as a stream.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { describeFsError, formatBytes } from './source-file.js';

/** The Files API's limit for purpose `assistants`. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

export type FileCheck = { ok: true; bytes: number } | { ok: false; message: string };

export async function checkAttachedFile(path: string): Promise<FileCheck> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { ok: false, message: 'is a folder, not a file' };
    if (!info.isFile()) return { ok: false, message: 'is not a regular file' };
    if (info.size === 0) return { ok: false, message: 'is empty; the API does not accept empty files' };
    if (info.size > MAX_UPLOAD_BYTES) {
      return { ok: false, message: `is ${formatBytes(info.size)}; the API accepts files up to ${formatBytes(MAX_UPLOAD_BYTES)}` };
    }
    await access(path, constants.R_OK);
    return { ok: true, bytes: info.size };
  } catch (error) {
    return { ok: false, message: describeFsError(error) };
  }
}

/** Hex sha256 of a file's content, read as a stream. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
