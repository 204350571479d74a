/**
 * The text of a PDF, page by page, read by Mozilla's PDF.js (bundled by `unpdf`) in a
 * worker thread: a hostile or broken PDF (a decompression bomb, a parser loop) can use up
 * only the worker's own memory (`MAX_WORKER_HEAP_MB`) and time (`timeoutMs`), never the
 * server's, and the server keeps answering while a large PDF is read. At most
 * `MAX_READERS` PDFs are read at once.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export type PdfPages =
  | { type: 'pages'; pages: string[] }
  | { type: 'too-long' }
  | { type: 'unreadable'; reason: string };

export interface PdfLimits {
  /** Stop (and answer `too-long`) once the pages read hold more characters than this. */
  maxChars: number;
  timeoutMs: number;
}

/** The worker's heap: enough for a PDF at the size limit, and a ceiling for a hostile one. */
const MAX_WORKER_HEAP_MB = 1024;
/** PDFs read at once; more wait their turn, so uploads side by side cannot multiply the memory. */
const MAX_READERS = 2;

let readers = 0;
const waiting: Array<() => void> = [];

async function turnToRead(): Promise<() => void> {
  if (readers >= MAX_READERS) await new Promise<void>((resolve) => waiting.push(resolve));
  readers++;
  return () => {
    readers--;
    waiting.shift()?.();
  };
}

/**
 * The worker, as CommonJS source (so it runs the same from the TypeScript sources and from
 * dist/): no eval in PDF.js, no fonts loaded, no console output.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFile } = require('node:fs/promises');
(async () => {
  const { getDocumentProxy } = await import(workerData.unpdf);
  const data = new Uint8Array(await readFile(workerData.path));
  const pdf = await getDocumentProxy(data, { verbosity: 0, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, stopAtErrors: false });
  const pages = [];
  let chars = 0;
  for (let number = 1; number <= pdf.numPages; number++) {
    const page = await pdf.getPage(number);
    const content = await page.getTextContent();
    const text = content.items.filter((item) => item.str != null).map((item) => item.str + (item.hasEOL ? '\\n' : '')).join('');
    page.cleanup();
    chars += text.length;
    if (chars > workerData.maxChars) return parentPort.postMessage({ type: 'too-long' });
    pages.push(text);
  }
  await pdf.destroy();
  parentPort.postMessage({ type: 'pages', pages });
})().catch((error) => parentPort.postMessage({ type: 'unreadable', reason: String((error && error.message) || error) }));
`;

let unpdfUrl: string | undefined;

export async function pdfPages(path: string, limits: PdfLimits): Promise<PdfPages> {
  const done = await turnToRead();
  try {
    return await readInWorker(path, limits);
  } finally {
    done();
  }
}

function readInWorker(path: string, limits: PdfLimits): Promise<PdfPages> {
  unpdfUrl ??= pathToFileURL(createRequire(import.meta.url).resolve('unpdf')).href;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, maxChars: limits.maxChars, unpdf: unpdfUrl },
    resourceLimits: { maxOldGenerationSizeMb: MAX_WORKER_HEAP_MB },
    // Whatever PDF.js prints is dropped rather than mixed into the server's output.
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  return new Promise<PdfPages>((resolve) => {
    let settled = false;
    const settle = (result: PdfPages): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const limit = limits.timeoutMs < 1000 ? `${limits.timeoutMs} ms` : `${Math.round(limits.timeoutMs / 1000)} s`;
    const timer = setTimeout(() => settle({ type: 'unreadable', reason: `reading it took longer than ${limit}` }), limits.timeoutMs);
    worker.on('message', (message: unknown) => settle(asPdfPages(message)));
    worker.on('error', (error: Error) =>
      settle({
        type: 'unreadable',
        reason: (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? `reading it needs more than ${MAX_WORKER_HEAP_MB} MB of memory` : error.message,
      }),
    );
    worker.on('exit', () => settle({ type: 'unreadable', reason: 'the reader stopped' }));
  });
}

/** The worker's answer, checked: it comes from another thread. */
function asPdfPages(message: unknown): PdfPages {
  const answer = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
  if (answer.type === 'pages' && Array.isArray(answer.pages) && answer.pages.every((page) => typeof page === 'string')) {
    return { type: 'pages', pages: answer.pages as string[] };
  }
  if (answer.type === 'too-long') return { type: 'too-long' };
  return { type: 'unreadable', reason: typeof answer.reason === 'string' ? answer.reason.slice(0, 300) : 'the reader gave no answer' };
}
