/** The sequencer's list of long files (test/support/long-first-sequencer.ts) names test files that exist, once each. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { LONG_FILES } from './support/long-first-sequencer.js';

const ROOT = resolve(import.meta.dirname, '..');

it('names existing test files, each once', () => {
  expect(LONG_FILES.length).toBeGreaterThan(0);
  expect(new Set(LONG_FILES).size).toBe(LONG_FILES.length);
  for (const file of LONG_FILES) {
    expect(file).toMatch(/^test\/.+\.test\.ts$/);
    expect(existsSync(join(ROOT, file)), file).toBe(true);
  }
});
