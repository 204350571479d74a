import { accessSync, chmodSync, constants } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAttachedFile } from '../../src/manifest/attached-files.js';
import { folderWith } from './helpers.js';

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

describe('checkAttachedFile', () => {
  it('finds a file readable exactly when access(2) does, for this user, whatever its mode', async () => {
    const dir = await folderWith({ 'a.txt': 'content\n' });
    const path = join(dir, 'a.txt');
    try {
      for (const mode of [0o600, 0o400, 0o200, 0o000, 0o044, 0o004, 0o040]) {
        chmodSync(path, mode);
        const check = checkAttachedFile(path);
        expect({ mode: mode.toString(8), ok: check.ok }).toEqual({ mode: mode.toString(8), ok: readable(path) });
        if (!check.ok) expect(check.message).toBe('cannot be read: permission denied');
      }
    } finally {
      chmodSync(path, 0o600);
    }
  });
});
