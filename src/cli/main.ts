#!/usr/bin/env node
/** The `assistants` executable: the only place that calls process.exit. */
import { processIo } from './io.js';
import { runCli } from './run.js';

const io = processIo();
const code = await runCli(process.argv.slice(2), io);
// Let stdout drain before exiting, so `plan --json > plan.json` is never cut short.
process.stdout.write('', () => process.exit(code));
