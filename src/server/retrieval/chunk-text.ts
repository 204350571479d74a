/**
 * A file's text cut into passages for the index: paragraphs packed together up to about
 * `TARGET_CHARS` (some 250 tokens), a Markdown heading starting a new passage, and a
 * paragraph longer than `MAX_CHARS` cut at a line, sentence or word. Each passage is a
 * range of the text (so a quote from it is found in the file as it is) and carries the
 * heading it falls under, which the index weighs too.
 */

export interface Chunk {
  start: number;
  end: number;
  /** The nearest Markdown heading at or before the chunk's start, without its `#`s; '' for none. */
  heading: string;
}

const TARGET_CHARS = 1000;
const MAX_CHARS = 1500;
/** Below this a passage is not closed early for a heading, and a long paragraph is not cut. */
const MIN_CHARS = 200;

const HEADING = /^#{1,6}[ \t]+(.+?)[ \t#]*$/;

interface Block {
  start: number;
  end: number;
  heading: string | null;
}

/** The paragraphs of `text` (runs of lines between blank lines), trimmed. */
function blocks(text: string): Block[] {
  const found: Block[] = [];
  const separator = /\n[ \t\r]*\n\s*/g;
  let from = 0;
  const add = (start: number, end: number): void => {
    while (start < end && /\s/.test(text[start] as string)) start++;
    while (end > start && /\s/.test(text[end - 1] as string)) end--;
    if (end <= start) return;
    const firstLine = text.slice(start, Math.min(end, start + 300)).split('\n', 1)[0] ?? '';
    found.push({ start, end, heading: HEADING.exec(firstLine)?.[1]?.trim() ?? null });
  };
  for (let match = separator.exec(text); match !== null; match = separator.exec(text)) {
    add(from, match.index);
    from = match.index + match[0].length;
  }
  add(from, text.length);
  return found;
}

/** Where to cut `text[start, start + MAX_CHARS)`: after a line, a sentence or a word, as late as possible. */
function cutPoint(text: string, start: number): number {
  const window = text.slice(start, start + MAX_CHARS);
  for (const pattern of [/\n/g, /[.!?]["')\]]?\s/g, /\s/g]) {
    let best = -1;
    for (let match = pattern.exec(window); match !== null; match = pattern.exec(window)) {
      if (match.index + match[0].length >= MIN_CHARS) best = match.index + match[0].length;
    }
    if (best > 0) return start + best;
  }
  return start + window.length;
}

export function chunkText(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let heading = '';
  let current: Chunk | null = null;
  /** Where the heading that ends `current` starts: it goes with what follows it, not before. */
  let trailingHeading: number | null = null;
  for (const block of blocks(text)) {
    if (block.heading !== null) {
      if (current !== null && current.end - current.start >= MIN_CHARS) {
        chunks.push(current);
        current = null;
      }
      heading = block.heading;
    }
    if (block.end - block.start > MAX_CHARS) {
      // A long paragraph is cut on its own, from its heading on when one just came.
      let start = block.start;
      if (current !== null && trailingHeading !== null) {
        start = trailingHeading;
        current.end = trimEnd(text, current.start, trailingHeading);
      }
      if (current !== null && current.end > current.start) chunks.push(current);
      current = null;
      while (block.end - start > MAX_CHARS) {
        const cut = cutPoint(text, start);
        chunks.push({ start, end: trimEnd(text, start, cut), heading });
        start = cut;
        while (start < block.end && /\s/.test(text[start] as string)) start++;
      }
      if (start < block.end) current = { start, end: block.end, heading };
      trailingHeading = null;
      continue;
    }
    if (current !== null && block.end - current.start > TARGET_CHARS) {
      chunks.push(current);
      current = null;
    }
    if (current === null) current = { start: block.start, end: block.end, heading };
    else current.end = block.end;
    trailingHeading = block.heading !== null ? block.start : null;
  }
  if (current !== null) chunks.push(current);
  return chunks;
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1] as string)) end--;
  return end;
}
