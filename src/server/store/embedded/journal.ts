/**
 * The journal's format and how it is read back. One JSON entry per line, after a
 * `{"format":"assistants-serve-journal","version":1}` header:
 *   {"op":"put","c":"<collection>","v":{...record with id...}}
 *   {"op":"del","c":"<collection>","id":"..."}
 * Every line the server writes ends with a newline. So a last line without one is what a
 * crash mid-append leaves (torn): if it does not parse it is dropped silently. Any other
 * bad line, the last one included when it is newline-terminated, is corruption: reported
 * as FILE:LINE, or, when repairing, skipped and counted.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { isErrnoCode } from './durable-fs.js';

export interface StoredRecord {
  id: string;
}

export type JournalEntry = { op: 'put'; c: string; v: StoredRecord } | { op: 'del'; c: string; id: string };

export const JOURNAL_HEADER = { format: 'assistants-serve-journal', version: 1 } as const;

/** What one line holds: the header (checked, nothing to apply) or an entry. */
type Line = { kind: 'header' } | { kind: 'entry'; entry: JournalEntry } | { kind: 'corrupt'; reason: string };

function classify(text: string, where: string): Line {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'corrupt', reason: 'corrupt journal line' };
  }
  if (typeof value !== 'object' || value === null) return { kind: 'corrupt', reason: 'corrupt journal line: not a journal entry' };
  const e = value as Record<string, unknown>;
  if (e.format === JOURNAL_HEADER.format) {
    // Not corruption: a newer server wrote it. Never "repaired" away.
    if (e.version !== JOURNAL_HEADER.version) {
      throw new Error(`${where}: journal version ${String(e.version)} is not supported by this version`);
    }
    return { kind: 'header' };
  }
  const collection = typeof e.c === 'string' ? e.c : undefined;
  if (e.op === 'put' && collection && typeof e.v === 'object' && e.v !== null && typeof (e.v as StoredRecord).id === 'string') {
    return { kind: 'entry', entry: { op: 'put', c: collection, v: e.v as StoredRecord } };
  }
  if (e.op === 'del' && collection && typeof e.id === 'string') return { kind: 'entry', entry: { op: 'del', c: collection, id: e.id } };
  return { kind: 'corrupt', reason: 'corrupt journal line: not a journal entry' };
}

export interface ReadOptions {
  /** Skip corrupt lines (and report their numbers) instead of refusing the journal. */
  repair: boolean;
}

/**
 * Calls `apply` with every entry of `file`, in order. Resolves with the numbers of the
 * corrupt lines skipped (always empty unless repairing), or undefined when there is no
 * file yet.
 */
export async function readJournal(
  file: string,
  apply: (entry: JournalEntry) => void,
  options: ReadOptions,
): Promise<number[] | undefined> {
  let input: FileHandle;
  try {
    input = await open(file, 'r');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  const skipped: number[] = [];
  let number = 0;
  const handle = (text: string, terminated: boolean): void => {
    number++;
    if (text.trim() === '') return;
    const where = `${file}:${number}`;
    const line = classify(text, where);
    if (line.kind === 'entry') return apply(line.entry);
    if (line.kind === 'header') return;
    if (!terminated) return;
    if (options.repair) {
      skipped.push(number);
      return;
    }
    throw new Error(
      `${where}: ${line.reason}; start once with \`assistants serve --data ${file} --repair\` to drop the bad lines (a backup is kept)`,
    );
  };
  try {
    // Byte by byte into lines, so a journal larger than the biggest string V8 allows still
    // loads, and so the reader knows whether the last line ended with a newline.
    let partial: Buffer[] = [];
    for await (const chunk of input.createReadStream()) {
      const bytes = chunk as Buffer;
      let start = 0;
      for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, start)) {
        partial.push(bytes.subarray(start, at));
        handle(Buffer.concat(partial).toString('utf8'), true);
        partial = [];
        start = at + 1;
      }
      if (start < bytes.length) partial.push(bytes.subarray(start));
    }
    if (partial.length > 0) handle(Buffer.concat(partial).toString('utf8'), false);
  } finally {
    await input.close();
  }
  return skipped;
}
