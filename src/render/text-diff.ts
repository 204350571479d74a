/** Internal to the renderers: texts as heredocs, and their changes as unified diffs. */
import { createRequire } from 'node:module';
import type { JsonValue } from '../json.js';
import { line, quote, type Attr, type Line } from './lines.js';

/**
 * The diff library (~20 modules, ~20 ms to load) on the first text that changed: a plan
 * loads the renderers before its first request, and most plans diff no text.
 */
let diffLibrary: typeof import('diff') | undefined;
function diff(): typeof import('diff') {
  diffLibrary ??= createRequire(import.meta.url)('diff') as typeof import('diff');
  return diffLibrary;
}

export function wholeTextAttr(sign: '+' | '-', name: string, text: string, marker: string): Attr {
  if (!text.includes('\n')) return { sign, name, value: quote(text) };
  return { sign, name, value: `<<-${marker}`, nested: plainLines(text), close: marker };
}

/** A unified diff of two texts; a null side is shown as null and diffed as empty. */
export function textDiffAttr(name: string, before: JsonValue, after: JsonValue, marker: string): Attr {
  const b = typeof before === 'string' ? before : null;
  const a = typeof after === 'string' ? after : null;
  const heredoc = `<<-${marker}`;
  const value = b === null ? `null -> ${heredoc}` : a === null ? `${heredoc} -> null` : heredoc;
  return { sign: '~', name, value, nested: unifiedDiffLines(b ?? '', a ?? ''), close: marker };
}

/**
 * The hunks of a unified diff (3 lines of context), as lines signed `+`/`-`. A missing
 * final newline is marked only when it is part of the change; an empty side has no lines.
 */
export function unifiedDiffLines(before: string, after: string): Line[] {
  const sameEnding = before === '' || after === '' || before.endsWith('\n') === after.endsWith('\n');
  const b = sameEnding && before !== '' && !before.endsWith('\n') ? `${before}\n` : before;
  const a = sameEnding && after !== '' && !after.endsWith('\n') ? `${after}\n` : after;
  const patch = diff().structuredPatch('before', 'after', b, a, undefined, undefined, { context: 3 });
  const lines: Line[] = [];
  for (const hunk of patch.hunks) {
    lines.push(
      line(0, null, `@@ -${hunkRange(hunk.oldStart, hunk.oldLines)} +${hunkRange(hunk.newStart, hunk.newLines)} @@`, 'hunk'),
    );
    for (const text of hunk.lines) {
      const first = text.charAt(0);
      const rest = text.slice(1);
      if (first === '+') lines.push(line(0, '+', rest));
      else if (first === '-') lines.push(line(0, '-', rest));
      else if (first === '\\') lines.push(line(0, null, text, 'comment'));
      else lines.push(line(0, null, rest));
    }
  }
  if (lines.length === 0) lines.push(line(0, null, '# (no difference in the text)', 'comment'));
  return lines;
}

/** A hunk's range as unified diffs write it: an empty range names the line before it. */
function hunkRange(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? String(start) : `${start},${count}`;
}

export function plainLines(text: string): Line[] {
  const parts = text.split('\n');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((p) => line(0, null, p));
}
