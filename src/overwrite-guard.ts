/**
 * Output files a command may overwrite only when they hold what it writes (a saved plan,
 * a JUnit report), never the manifest or anything else a mistyped path names.
 */
import { open, stat } from 'node:fs/promises';

export interface WrittenKind {
  /** What the command writes, for messages: "a saved plan". */
  what: string;
  /** Whether the first `headBytes` of a file show it is one. */
  recognizes: (head: string) => boolean;
  headBytes: number;
}

/** Why `path` may not be written over, or null: it does not exist, or it is already `kind`. */
export async function overwriteProblem(path: string, kind: WrittenKind): Promise<string | null> {
  try {
    // stat first: opening a FIFO to read would wait for a writer.
    const stats = await stat(path);
    if (stats.isDirectory()) return `is a folder, not ${kind.what}`;
    if (!stats.isFile()) return `exists and is not ${kind.what} (not a regular file)`;
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(kind.headBytes);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      return kind.recognizes(head.subarray(0, bytesRead).toString('utf8')) ? null : `exists and is not ${kind.what}`;
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? null : `cannot be read (${code ?? 'error'}) to check that it is ${kind.what}`;
  }
}
