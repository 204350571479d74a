/**
 * Apply progress on stderr: on a terminal one live bar with counts, redrawn in place, then
 * what was created (key and id); otherwise (CI, pipes) one plain line per finished
 * operation, naming the id once. Plain lines wait for the end of the event loop's turn and
 * go out in one write: a write per operation (3,000 in a cold apply of 1,000) cost more CPU
 * than anything else the CLI does per request, in it and in whoever reads the pipe.
 */
import type { ProgressEvent } from '../apply/executor.js';
import { naturalCompare } from '../natural-sort.js';
import type { CliIo } from './io.js';

export interface ProgressReporter {
  onProgress: (event: ProgressEvent) => void;
  /** Writes the lines not written yet (before anything else goes to stderr). */
  flush: () => void;
  finish: () => void;
}

export function progressReporter(io: CliIo): ProgressReporter {
  let total = 0;
  let done = 0;
  let failed = 0;
  let retries = 0;
  let throttled = 0;
  const live = io.interactive;
  const created: Array<[string, string]> = [];
  const bar = (): string => {
    const width = 30;
    const filled = total === 0 ? width : Math.round(((done + failed) / total) * width);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done + failed}/${total} done, ${failed} failed, ${retries} retried, ${throttled} rate-limited`;
  };
  const redraw = (): void => void io.stderr.write(`\r\x1b[2K${bar()}`);
  let pending = '';
  const flush = (): void => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    io.stderr.write(text);
  };
  const line = (text: string): void => {
    if (pending === '') setImmediate(flush);
    pending += text;
  };
  return {
    onProgress(event) {
      switch (event.type) {
        case 'start':
          total = event.total;
          if (live) redraw();
          return;
        case 'done':
          done++;
          if (event.node.op.kind === 'create') created.push([event.node.op.change.key, event.detail]);
          if (live) redraw();
          // A delete's name already holds the id it deleted.
          else line(`${event.node.id}: done${event.node.id.endsWith(` ${event.detail}`) ? '' : ` (${event.detail})`}\n`);
          return;
        case 'failed':
          failed++;
          if (live) redraw();
          else line(`${event.node.id}: failed: ${event.message}\n`);
          return;
        case 'throttled':
          // Too many to print one by one; the bar counts them and the summary names them.
          throttled++;
          if (live) redraw();
          return;
        case 'retry':
          retries++;
          if (live) redraw();
          else line(`${event.node.id}: attempt ${event.attempt} failed (${event.message}); retrying\n`);
          return;
      }
    },
    flush,
    finish() {
      flush();
      if (live && total > 0) io.stderr.write('\n');
      if (live && created.length > 0) {
        const width = Math.max(...created.map(([key]) => key.length));
        const lines = created.sort(([a], [b]) => naturalCompare(a, b)).map(([key, id]) => `  ${key.padEnd(width)}  ${id}\n`);
        io.stderr.write(`Created:\n${lines.join('')}`);
      }
      if (throttled > 0) io.stderr.write(`The API rate-limited ${throttled} request(s); apply slowed down to match it.\n`);
    },
  };
}
