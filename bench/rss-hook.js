// Loaded with `node --import` into a benchmarked CLI process: on exit, writes the
// process's peak resident set size (KiB) and the CPU time it used (user + system,
// microseconds), both from getrusage, to $BENCH_RSS_FILE as "KIB MICROSECONDS".
import { writeFileSync } from 'node:fs';

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    try {
      const usage = process.resourceUsage();
      writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}`);
    } catch {
      // The measurement is best effort; never change the CLI's exit.
    }
  });
}
