/**
 * The benchmark's workload: a project of N assistants, each attaching two files (of its
 * own, or with `sharedFiles`, two of that many files shared across all), written as a
 * manifest the CLI reads; the same desired state as plain data for the naive baseline;
 * and the least number of requests each phase needs (the bench's floor, and the request
 * count test/bench/request-counts.test.ts holds the CLI to).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READ_AHEAD } from '../dist/api/pagination.js';

export const PROJECT = 'bench';

/** Deterministic, distinct content (~1 KiB) for file `f` of assistant `a`. */
function fileContent(a, f) {
  const line = `assistant ${a}, document ${f}: the quick brown fox jumps over the lazy dog.\n`;
  return line.repeat(14);
}

/** The names of the two files assistant `a` attaches: its own, or two of `shared` (a number of files) when given. */
function filesOf(a, shared) {
  if (shared === undefined) return [`d${a}x0`, `d${a}x1`];
  return [`d${(2 * a) % shared}x0`, `d${(2 * a + 1) % shared}x0`];
}

/** Every file the project has: two per assistant, or `shared` in all. */
function allFiles(n, shared) {
  if (shared === undefined) return Array.from({ length: n }, (_, a) => filesOf(a)).flat();
  return Array.from({ length: Math.min(shared, 2 * n) }, (_, f) => `d${f}x0`);
}

/** The desired assistants: `edited` keys (a Set of indexes) get new instructions; `shared`: see filesOf. */
export function desiredAssistants(n, edited = new Set(), shared = undefined) {
  const out = [];
  for (let a = 0; a < n; a++) {
    out.push({
      key: `a${a}`,
      name: `Assistant ${a}`,
      model: 'gpt-4',
      tools: [{ type: 'retrieval' }],
      instructions: edited.has(a) ? `Answer questions about topic ${a}, revision 2.` : `Answer questions about topic ${a}.`,
      files: filesOf(a, shared),
    });
  }
  return out;
}

/** Writes docs/ once and returns the project directory (in the system's temp folder, or under `parent`). */
export async function makeProject(n, { shared, parent = tmpdir() } = {}) {
  const dir = await mkdtemp(join(parent, `assistants-bench-${n}-`));
  await mkdir(join(dir, 'docs'));
  const writes = [];
  for (const name of allFiles(n, shared)) {
    const [, a, f] = /^d(\d+)x(\d+)$/.exec(name);
    writes.push(writeFile(join(dir, 'docs', `${name}.txt`), fileContent(Number(a), Number(f))));
    if (writes.length >= 256) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  await writeManifest(dir, desiredAssistants(n, new Set(), shared));
  return dir;
}

export async function writeManifest(dir, assistants) {
  const lines = ['version: 1', `project: ${PROJECT}`, 'files:'];
  const written = new Set();
  for (const a of assistants) {
    for (const f of a.files) {
      if (written.has(f)) continue;
      written.add(f);
      lines.push(`  ${f}:`, `    path: docs/${f}.txt`);
    }
  }
  lines.push('assistants:');
  for (const a of assistants) {
    lines.push(
      `  ${a.key}:`,
      `    name: ${JSON.stringify(a.name)}`,
      `    model: ${a.model}`,
      '    tools:',
      '      - type: retrieval',
      `    instructions: ${JSON.stringify(a.instructions)}`,
      `    files: [${a.files.join(', ')}]`,
    );
  }
  await writeFile(join(dir, 'assistants.yaml'), `${lines.join('\n')}\n`);
}

/** Local path of a manifest file name, for the naive script's uploads. */
export function filePath(dir, name) {
  return join(dir, 'docs', `${name}.txt`);
}

/** The assistants the 10% edit changes: every tenth, from the fourth. */
export const editedIndexes = (n) => new Set(Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 === 3));

/** Assistant list pages (100 a page, the API's maximum); at least one. */
export function pages(count) {
  return Math.max(1, Math.ceil(count / 100));
}

/** Round trips of a listing read ahead from the cursors of the last: its pages, READ_AHEAD at a time. */
function readAhead(count) {
  return Math.ceil(pages(count) / READ_AHEAD);
}

/**
 * The least work each phase of the workload needs: `reads` and `writes` (requests), and
 * the longest chains of them that must run one after another (`chainRead`: list pages
 * follow a cursor; `chainWrite`: upload -> create, delete assistant -> delete its file).
 * `files`: the distinct files the project attaches.
 *
 * A listing that follows a complete one reads its pages ahead from the cursors that one
 * left (`.assistants/cache/list-cursors.json`), READ_AHEAD at a time: in the phases' order,
 * the 10% edit (after the no-change plan) and the destroy (after the edit). The no-change
 * plan follows the cold apply, whose listing held none of the assistants: page by page.
 */
export function minimum(phase, n, files = 2 * n) {
  switch (phase) {
    case 'cold apply':
      return { reads: 2, chainRead: 1, writes: files + n, chainWrite: n > 0 ? 2 : 0 };
    case 'no-change plan':
      return { reads: pages(n) + 1, chainRead: pages(n), writes: 0, chainWrite: 0 };
    case '10% edit apply': {
      const edits = editedIndexes(n).size;
      return { reads: pages(n) + 1, chainRead: readAhead(n), writes: edits, chainWrite: edits > 0 ? 1 : 0 };
    }
    case 'destroy':
      return { reads: pages(n) + 1, chainRead: readAhead(n), writes: files + n, chainWrite: n > 0 ? 2 : 0 };
    default:
      throw new Error(phase);
  }
}

/** The distinct files of a workload of `n` assistants (see filesOf). */
export function fileCount(n, shared) {
  return allFiles(n, shared).length;
}
