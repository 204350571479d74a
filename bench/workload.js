/**
 * The benchmark's workload: a project of N assistants, each with two files of its own
 * (distinct content), written as a manifest the CLI reads; and the same desired state
 * as plain data for the naive baseline.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROJECT = 'bench';

/** Deterministic, distinct content (~1 KiB) for file `f` of assistant `a`. */
function fileContent(a, f) {
  const line = `assistant ${a}, document ${f}: the quick brown fox jumps over the lazy dog.\n`;
  return line.repeat(14);
}

/** The desired assistants: `edited` keys (a Set of indexes) get new instructions. */
export function desiredAssistants(n, edited = new Set()) {
  const out = [];
  for (let a = 0; a < n; a++) {
    out.push({
      key: `a${a}`,
      name: `Assistant ${a}`,
      model: 'gpt-4',
      tools: [{ type: 'retrieval' }],
      instructions: edited.has(a) ? `Answer questions about topic ${a}, revision 2.` : `Answer questions about topic ${a}.`,
      files: [`d${a}x0`, `d${a}x1`],
    });
  }
  return out;
}

/** Writes docs/ once and returns the project directory. */
export async function makeProject(n) {
  const dir = await mkdtemp(join(tmpdir(), `assistants-bench-${n}-`));
  await mkdir(join(dir, 'docs'));
  const writes = [];
  for (let a = 0; a < n; a++) {
    for (let f = 0; f < 2; f++) writes.push(writeFile(join(dir, 'docs', `d${a}x${f}.txt`), fileContent(a, f)));
    if (writes.length >= 256) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  await writeManifest(dir, desiredAssistants(n));
  return dir;
}

export async function writeManifest(dir, assistants) {
  const lines = ['version: 1', `project: ${PROJECT}`, 'files:'];
  for (const a of assistants) {
    for (const f of a.files) lines.push(`  ${f}:`, `    path: docs/${f}.txt`);
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
