/**
 * Apply progress on stderr: on a terminal one live bar with counts, redrawn in place;
 * otherwise (CI, pipes) one plain line per finished operation.
 */
import type { ProgressEvent } from '../apply/executor.js';
import type { CliIo } from './io.js';

export function progressReporter(io: CliIo): { onProgress: (event: ProgressEvent) => void; finish: () => void } {
  let total = 0;
  let done = 0;
  let failed = 0;
  let retries = 0;
  let throttled = 0;
  const live = io.interactive;
  const bar = (): string => {
    const width = 30;
    const filled = total === 0 ? width : Math.round(((done + failed) / total) * width);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done + failed}/${total} done, ${failed} failed, ${retries} retried, ${throttled} rate-limited`;
  };
  const redraw = (): void => void io.stderr.write(`\r\x1b[2K${bar()}`);
  return {
    onProgress(event) {
      switch (event.type) {
        case 'start':
          total = event.total;
          if (live) redraw();
          return;
        case 'done':
          done++;
          if (live) redraw();
          else io.stderr.write(`${event.node.id}: done (${event.detail})\n`);
          return;
        case 'failed':
          failed++;
          if (live) redraw();
          else io.stderr.write(`${event.node.id}: failed: ${event.message}\n`);
          return;
        case 'throttled':
          // Too many to print one by one; the bar counts them and the summary names them.
          throttled++;
          if (live) redraw();
          return;
        case 'retry':
          retries++;
          if (live) redraw();
          else io.stderr.write(`${event.node.id}: attempt ${event.attempt} failed (${event.message}); retrying\n`);
          return;
      }
    },
    finish() {
      if (live && total > 0) io.stderr.write('\n');
      if (throttled > 0) io.stderr.write(`The API rate-limited ${throttled} request(s); apply slowed down to match it.\n`);
    },
  };
}
