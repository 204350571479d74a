import { describe, expect, it } from 'vitest';
import { BAD_MANIFESTS, materialize } from './corpus.js';
import { problemsIn } from './helpers.js';

describe('bad manifests', () => {
  it('the corpus holds at least 40 cases, each with a distinct name', () => {
    expect(BAD_MANIFESTS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(BAD_MANIFESTS.map((c) => c.name)).size).toBe(BAD_MANIFESTS.length);
  });

  it.each(BAD_MANIFESTS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = await materialize(c);
    expect(c.expected.length).toBeGreaterThan(0);
    expect(await problemsIn(dir, c.load)).toEqual(c.expected);
  });
});
