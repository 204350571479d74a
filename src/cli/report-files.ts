/** Files a command writes its report to: never over something that is not such a report. */
import { open, stat } from 'node:fs/promises';

/** Why `path` must not be overwritten with a JUnit report, or null (absent, or a JUnit report already). */
export async function junitTargetProblem(path: string): Promise<string | null> {
  try {
    // stat first: opening a FIFO to read would wait for a writer.
    const stats = await stat(path);
    if (stats.isDirectory()) return 'is a folder';
    if (!stats.isFile()) return 'exists and is not a file';
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(256);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const text = head.subarray(0, bytesRead).toString('utf8');
      return text.startsWith('<?xml') && text.includes('<testsuites') ? null : 'exists and is not a JUnit report';
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? null : `cannot be read (${code ?? 'error'}) to check that it is a JUnit report`;
  }
}
