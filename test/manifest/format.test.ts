/**
 * `fmt` never changes meaning: every example and every bad manifest of the corpus that
 * parses is formatted, read back, and compared with what it was; formatting twice
 * changes nothing more; the examples are in the canonical layout already.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatManifest } from '../../src/manifest/format.js';
import { BAD_MANIFESTS } from './corpus.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');

async function exampleFiles(): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(EXAMPLES)) {
    for (const file of await readdir(join(EXAMPLES, name)).catch(() => [])) {
      if (file === 'assistants.yaml' || file.endsWith('.test.yaml')) found.push(join(EXAMPLES, name, file));
    }
  }
  return found;
}

/** Formatted, read back, the same data; formatted again, the same text. */
function expectSameMeaning(text: string, what: string): boolean {
  const once = formatManifest(text);
  if (!once.ok) return false;
  // What YAML itself refuses to load (an alias bomb) must stay refused.
  const data = (source: string): unknown => {
    try {
      return parse(source);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  expect(isDeepStrictEqual(data(once.text), data(text)), what).toBe(true);
  const twice = formatManifest(once.text);
  expect(twice.ok && twice.text, what).toBe(once.text);
  return true;
}

describe('fmt', () => {
  it('keeps the meaning of every example, and each manifest is in the canonical layout already', async () => {
    const files = await exampleFiles();
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      expect(expectSameMeaning(text, file), file).toBe(true);
      const result = formatManifest(text);
      if (file.endsWith('assistants.yaml')) expect(result.ok && result.changed, `${file} is not formatted: run assistants fmt`).toBe(false);
    }
  });

  it('keeps the meaning of every bad manifest of the corpus it can read, and refuses the rest', () => {
    let formatted = 0;
    let refused = 0;
    for (const c of BAD_MANIFESTS) {
      if (typeof c.manifest !== 'string') continue;
      if (expectSameMeaning(c.manifest, c.name)) formatted += 1;
      else refused += 1;
    }
    // Most of the corpus is valid YAML with a wrong shape or meaning; the YAML cases are refused.
    expect(formatted).toBeGreaterThan(40);
    expect(refused).toBeGreaterThan(0);
  });

  it('puts the keys in the schema order, with their comments, and refuses duplicate keys', () => {
    const result = formatManifest('assistants:\n  a:\n    # the model\n    model: gpt-4\n    name: A\nproject: p\nversion: 1\n');
    expect(result).toEqual({ ok: true, changed: true, text: 'version: 1\nproject: p\nassistants:\n  a:\n    name: A\n    # the model\n    model: gpt-4\n' });
    expect(formatManifest('version: 1\nversion: 2\n')).toMatchObject({ ok: false });
  });
});
