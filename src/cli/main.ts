#!/usr/bin/env node
/**
 * The `assistants` executable: the only place that calls process.exit. The build bundles it
 * (scripts/bundle-cli.mjs) into the CommonJS file dist/cli/main.js runs, hence no top-level await.
 */
import { processIo } from './io.js';
import { runCli } from './run.js';

const io = processIo();
// Two interrupts unwind any command at once (interrupts.ts); a third means something that
// cannot be aborted hangs, and the user gets the prompt back.
io.interrupts.onInterrupt((count) => {
  if (count >= 3) process.exit(130);
});
void runCli(process.argv.slice(2), io).then((code) => {
  // Let stdout drain before exiting, so `plan --json > plan.json` is never cut short.
  process.stdout.write('', () => {
    const failure = io.outputFailure();
    if (failure !== null) process.stderr.write(`Error: could not write the output (${failure}).\n`);
    process.exit(failure !== null && code === 0 ? 1 : code);
  });
});
