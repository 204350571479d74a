// Loaded with `node --import` into a benchmarked CLI process: on exit, writes the
// process's peak resident set size (KiB, from getrusage) to $BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    try {
      writeFileSync(target, String(process.resourceUsage().maxRSS));
    } catch {
      // The measurement is best effort; never change the CLI's exit.
    }
  });
}
