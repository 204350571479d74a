/**
 * The journal as an append-only JSON-lines file. Each flush is one write of whole lines
 * and one fsync (appends that arrive while a flush runs share the next one), so its cost
 * does not grow with the state. A last line cut short by a kill is ignored on read and
 * cut off before the next append.
 */
import { writeSync } from 'node:fs';
import { open, rm, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { ensurePrivateDir, fsyncDir, PRIVATE_FILE_MODE, readIfExists } from '../atomic-file.js';
import type { JournalRead } from './backend.js';
import { canonicalJson } from '../canonical-json.js';
import { GroupCommit } from './group-commit.js';
import type { JournalEntry } from './journal.js';
import { journalEntryProblem } from './schema.js';

function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}

/** The entries in a journal's text. Throws on a bad line that is not the (torn) last one. */
export function parseJournal(text: string, source: string): JournalRead {
  const lines = text.split('\n');
  // Text ending in "\n" splits into a last empty string; anything else there was cut short.
  const tail = lines.pop() ?? '';
  const entries: JournalEntry[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new UserError('STATE', `${source}:${index + 1}: journal line is not valid JSON`);
    }
    const problem = journalEntryProblem(parsed);
    if (problem !== null) throw new UserError('STATE', `${source}:${index + 1}: invalid journal entry: ${problem}`);
    entries.push(parsed as JournalEntry);
  });
  return { entries, tornTail: tail.length > 0 };
}

export class JournalFile {
  private readonly lines = new GroupCommit<string>((batch) => this.writeLines(batch.join('')));
  /** The torn-tail check runs once, before this object's first append. */
  private repaired = false;
  /**
   * Open from the first append until `clear` or `close`: an apply appends thousands of
   * times, and an open and a close per flush cost as much as the fsync.
   */
  private handle: FileHandle | null = null;

  constructor(readonly path: string) {}

  append(entry: JournalEntry): Promise<void> {
    const problem = journalEntryProblem(entry);
    if (problem !== null) return Promise.reject(new Error(`invalid journal entry: ${problem}`));
    return this.lines.add(`${canonicalJson(entry)}\n`);
  }

  async read(): Promise<JournalRead> {
    const text = await readIfExists(this.path);
    return text === null ? { entries: [], tornTail: false } : parseJournal(text, this.path);
  }

  async clear(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
    await fsyncDir(dirname(this.path));
    this.repaired = false;
  }

  /** Closes the file if an append left it open (the backend's close). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  private async writeLines(data: string): Promise<void> {
    if (!this.repaired) await this.cutTornTail();
    this.handle ??= await open(this.path, 'a', PRIVATE_FILE_MODE);
    try {
      // A write of a few lines is a copy into the page cache: done at once, not through the
      // thread pool (appendFile's promise machinery cost more than the copy); the fsync,
      // which waits on the disk, is not.
      writeAll(this.handle.fd, Buffer.from(data, 'utf8'));
      await this.handle.sync();
    } catch (error) {
      // A failed write may have left part of a line: the next append checks the tail again.
      this.repaired = false;
      await this.close().catch(() => undefined);
      throw error;
    }
  }

  /** Drops a partial last line so the next line starts on a line of its own. */
  private async cutTornTail(): Promise<void> {
    await ensurePrivateDir(dirname(this.path));
    const text = await readIfExists(this.path);
    if (text === null) {
      this.repaired = true;
      return;
    }
    if (text.length > 0 && !text.endsWith('\n')) {
      const keep = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1), 'utf8');
      await truncate(this.path, keep);
    }
    this.repaired = true;
  }
}
