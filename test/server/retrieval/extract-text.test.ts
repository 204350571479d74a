/**
 * The text retrieval indexes: decoded whatever the encoding, HTML without its markup,
 * refused when it is not text; and cut into passages that are ranges of that text.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { chunkText } from '../../../src/server/retrieval/chunk-text.js';
import { extractText, UnindexableFileError } from '../../../src/server/retrieval/extract-text.js';
import { retrievalKind } from '../../../src/server/retrieval/file-kinds.js';
import type { PendingContent } from '../../../src/server/store/store.js';
import { makeTempDir } from '../../support/temp-dir.js';

let dir: string;
beforeAll(async () => {
  ({ dir } = await makeTempDir('assistants-extract-'));
});

const limits = { maxFileChars: 10_000, maxPdfBytes: 1_000_000, pdfTimeoutMs: 10_000 };

/** A file on disk, as a large upload is. */
function onDisk(path: string): PendingContent {
  return { held: () => undefined, pendingPath: async () => path };
}

/** The text of `content` read from a file and from the bytes held in memory (a small upload): the same either way, or the same refusal. */
async function extract(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  const kind = retrievalKind(name);
  if (kind === null) throw new Error(`${name} is not indexed`);
  const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  const held: PendingContent = { held: () => bytes, pendingPath: async () => path };
  const [fromFile, fromMemory] = await Promise.allSettled([onDisk(path), held].map((source) => extractText(source, name, kind, bytes.length, limits)));
  if (fromFile?.status === 'fulfilled' && fromMemory?.status === 'fulfilled') {
    expect(fromMemory.value).toBe(fromFile.value);
    return fromFile.value;
  }
  if (fromFile?.status === 'rejected' && fromMemory?.status === 'rejected') {
    expect(String(fromMemory.reason)).toBe(String(fromFile.reason));
    throw fromFile.reason;
  }
  throw new Error(`${name}: read from a file and from memory, one failed and one did not`);
}

test('kinds by extension: text of many sorts, Markdown, HTML, PDF; not images or Office files', () => {
  expect(['a.txt', 'b.JSON', 'c.csv', 'd.md', 'e.html', 'f.pdf', 'g.py'].map(retrievalKind)).toEqual(['text', 'text', 'text', 'markdown', 'html', 'pdf', 'text']);
  expect(['a.png', 'b.docx', 'c', 'd.zip'].map(retrievalKind)).toEqual([null, null, null, null]);
});

test('HTML: visible text only, entities decoded, headings kept as Markdown, blocks apart', async () => {
  const html =
    '<!doctype html><html><head><title>Hidden</title><style>p{}</style></head><body>' +
    '<script>alert("no")</script><h1>Returns &amp; refunds</h1><p>Refunds take\n   <b>14&nbsp;days</b>.</p>' +
    '<ul><li>One</li><li>Two</li></ul><table><tr><td>Ropes</td><td>never</td></tr></table></body></html>';
  expect(await extract('page.html', html)).toBe('# Returns & refunds\n\nRefunds take 14 days.\n\nOne\nTwo\n\nRopes never');
});

test('CSV and JSON are their text; UTF-16 and Latin-1 are decoded; a byte order mark is dropped', async () => {
  expect(await extract('prices.csv', 'item,price\ntent,35\n')).toBe('item,price\ntent,35\n');
  expect(await extract('data.json', '{"refund_days": 14}')).toBe('{"refund_days": 14}');
  expect(await extract('utf16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße', 'utf16le')]))).toBe('Grüße');
  expect(await extract('latin1.txt', Buffer.from('caf\xe9 cr\xe8me', 'latin1'))).toBe('café crème');
  expect(await extract('bom.md', '\ufeff# Title\n')).toBe('# Title\n');
});

test('not text, or too much of it, is refused with a sentence naming the file', async () => {
  await expect(extract('image.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]))).rejects.toThrow(
    new UnindexableFileError("'image.txt' is not text (it holds NUL bytes), so it cannot be indexed for retrieval; upload a text file, or give a binary file its own extension."),
  );
  await expect(extract('huge.md', 'x'.repeat(10_001))).rejects.toThrow(/^'huge.md' has more than 10,000 characters of text \(about 2,500 tokens\)/);
});

test('a PDF that takes too long to read is refused, and the reader is stopped', async () => {
  const pdf = new URL('../fixtures/handbook-excerpt.pdf', import.meta.url);
  const path = join(dir, 'slow.pdf');
  await writeFile(path, await readFile(pdf));
  await expect(extractText(onDisk(path), 'slow.pdf', 'pdf', 7000, { ...limits, pdfTimeoutMs: 1 })).rejects.toThrow(
    "'slow.pdf' could not be read as a PDF (reading it took longer than 1 ms); check that it opens, or upload its text.",
  );
});

test('passages: ranges of the text, in order, none longer than 1,500 characters, headings carried', () => {
  const text = `# Guide\n\nIntro line.\n\n## Tents\n\n${'Tents are rented by the weekend. '.repeat(80)}\n\n## Ropes\n\nRopes are never returned.\n`;
  const chunks = chunkText(text);
  let last = 0;
  for (const chunk of chunks) {
    expect(chunk.start).toBeGreaterThanOrEqual(last);
    expect(chunk.end - chunk.start).toBeLessThanOrEqual(1500);
    expect(text.slice(chunk.start, chunk.end)).toBe(text.slice(chunk.start, chunk.end).trim());
    last = chunk.end;
  }
  expect(chunks.map((chunk) => chunk.heading)).toEqual(['Guide', 'Tents', 'Tents', 'Ropes']);
  expect(text.slice(chunks[1]?.start, chunks[1]?.end).startsWith('## Tents\n\nTents are rented')).toBe(true);
  expect(text.slice(chunks[2]?.start, chunks[2]?.end).endsWith('weekend.')).toBe(true);
});
