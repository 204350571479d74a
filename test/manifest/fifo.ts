/** A named pipe, for the "not a regular file" cases. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export async function mkfifo(path: string): Promise<void> {
  await promisify(execFile)('mkfifo', [path]);
}
