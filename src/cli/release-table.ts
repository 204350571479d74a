/** `state show --releases`: one line per assistant released in an environment, with its tests' outcome on that content. */
import { ownEntry } from '../dictionary.js';
import type { StateFile } from '../state/types.js';

const HEADER = ['ASSISTANT', 'CONTENT', 'COMMIT', 'APPLIED', 'BY', 'TESTS'] as const;

/** The tests recorded against exactly this release, or "-" when none were. */
function testsOf(state: StateFile, key: string, promotable: string): string {
  const tested = ownEntry(state.testResults, key);
  return tested?.promotable === promotable ? `${tested.outcome} ${tested.testedAt}` : '-';
}

/** Aligned columns, a header first; `keys` limits the lines (all by default); null when there is none. */
export function releaseTable(state: StateFile, keys?: readonly string[]): string | null {
  const releases = state.releases ?? {};
  const rows = Object.keys(releases)
    .filter((key) => keys === undefined || keys.includes(key))
    .sort()
    .map((key) => {
      const release = releases[key]!;
      return [key, release.promotable.slice(0, 12), release.commit?.slice(0, 12) ?? '-', release.appliedAt, release.appliedBy, testsOf(state, key, release.promotable)];
    });
  if (rows.length === 0) return null;
  const widths = HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [[...HEADER], ...rows].map((row) => `${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`).join('');
}
