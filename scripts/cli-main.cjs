#!/usr/bin/env node
// The `assistants` executable, dist/cli/main.js (copied there by scripts/bundle-cli.mjs): runs
// the bundled CLI (bundle.cjs: src/cli/main.ts and the modules it imports) from V8's code cache
// beside it when V8 accepts it (same Node, same flags), else compiled as any script is.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');

const file = join(__dirname, 'bundle.cjs');
let cachedData;
try {
  cachedData = readFileSync(join(__dirname, 'bundle.code-cache'));
} catch {
  // No cache: compiled as without one.
}
// The function wrapper Node gives a CommonJS module, on the source's first line as Node puts it.
// The bundle is ASCII (the build checks), so read as latin1: no UTF-8 decoding of ~2 MB.
const source = readFileSync(file, 'latin1');
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
// The build's training run asks for the code compiled by the time it exits.
const cacheOut = process.env.ASSISTANTS_WRITE_CODE_CACHE;
if (cacheOut) process.once('exit', () => writeFileSync(cacheOut, script.createCachedData()));
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, require, bundle, file, __dirname);
