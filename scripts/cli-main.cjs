#!/usr/bin/env node
// The `assistants` executable, dist/cli/main.js (copied there by scripts/bundle-cli.mjs): runs
// the bundled CLI (bundle.cjs: src/cli/main.ts and what validate needs) from V8's code cache
// beside it when V8 accepts it (same Node, same flags), else compiled as any script is. What
// only other commands run is in bundle-*.cjs, each loaded the same way on the first require of
// one of its modules ("./bundle-server.cjs#dist/server/index.js": its table's entry).
'use strict';
// The V8 flags of every command but validate, set as the first bundle after bundle.cjs is
// compiled (the code caches are made through this file too, so each under the flags it is taken
// under: bundle.cjs under none, validate never loading node:v8). --liftoff-only: WebAssembly
// (undici's HTTP parser, llhttp) runs on V8's baseline compiler alone. Its optimizing compiler
// tiered the parser's one big function up in the background, 0.2-0.3 s of CPU in every command
// that talks to the API, and exit waited for it.
const V8_FLAGS = '--liftoff-only';
let flagsSet = false;
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');

/** Bundle name -> its compiled script and, once run, its module (whose exports.modules is its table). */
const bundles = new Map();

function compile(name) {
  if (name !== 'bundle' && !flagsSet) {
    require('node:v8').setFlagsFromString(V8_FLAGS);
    flagsSet = true;
  }
  const file = join(__dirname, `${name}.cjs`);
  let cachedData;
  try {
    cachedData = readFileSync(join(__dirname, `${name}.code-cache`));
  } catch {
    // No cache: compiled as without one.
  }
  // The build wraps each in the function Node gives a CommonJS module, and keeps it ASCII,
  // so read as latin1: no UTF-8 decoding, no copy to add the wrapper.
  const bundle = { file, script: new Script(readFileSync(file, 'latin1'), { filename: file, cachedData }), module: null };
  bundles.set(name, bundle);
  return bundle;
}

function run(name) {
  const bundle = bundles.get(name) ?? compile(name);
  if (bundle.module === null) {
    bundle.module = { exports: {} };
    bundle.script.runInThisContext()(bundle.module.exports, requireInBundle, bundle.module, bundle.file, __dirname);
  }
  return bundle.module;
}

/** require() in a bundle: a module of a bundle by its name there, else Node's require from here. */
function requireInBundle(id) {
  const inBundle = /^\.\/(bundle[a-z-]*)\.cjs#(.+)$/.exec(id);
  if (inBundle === null) return require(id);
  return run(inBundle[1]).exports.modules[inBundle[2]]();
}

// The build's training run asks for each bundle's compiled code as it is when the run exits.
const cacheOut = process.env.ASSISTANTS_WRITE_CODE_CACHE;
if (cacheOut) {
  process.once('exit', () => {
    for (const name of cacheOut.split(',')) writeFileSync(join(__dirname, `${name}.code-cache`), (bundles.get(name) ?? compile(name)).script.createCachedData());
  });
}
run('bundle');
