/**
 * `file_citation` annotations from the source markers a reply carries. A run that retrieved
 * passages shows them to the model numbered, and the model cites one as `【1†source】` (the
 * hosted API's form; `【1】`, `[1†source]` and `[1]` count too). Each marker that names a
 * passage becomes an annotation over the marker's text, with the passage's file and quote.
 *
 * The reply arrives in pieces (a stream), so a piece that ends in what may be the start of
 * a marker is held back until the marker is complete or cannot be one: each piece let
 * through carries the annotations of the markers in it, as the stream's deltas must.
 */
import type { Passage } from '../retrieval/retrieval.js';

export interface FileCitation {
  type: 'file_citation';
  /** The marker, as it stands in the message. */
  text: string;
  file_citation: { file_id: string; quote: string };
  start_index: number;
  end_index: number;
}

/** An annotation in a `thread.message.delta`: with its index among the message's annotations. */
export interface FileCitationDelta extends FileCitation {
  index: number;
}

export interface CitedPiece {
  text: string;
  annotations: FileCitationDelta[];
}

// 【N†source】 or [N†source], the brackets and dagger escaped: the CLI's bundle is ASCII (scripts/bundle-cli.mjs).
const MARKER = /\u3010(\d{1,3})(?:\u2020[^\u3011\n]{0,20})?\u3011|\[(\d{1,3})(?:\u2020[^\]\n]{0,20})?\]/g;
/** The longest marker: a piece is held back only from an opening bracket this close to its end. */
const MAX_MARKER_LENGTH = 26;

export class CitationWriter {
  #emitted = 0;
  #held = '';
  #count = 0;

  /** `sources` in the order they were shown to the model: marker N cites `sources[N - 1]`. */
  constructor(private readonly sources: readonly Passage[]) {}

  /** What of `piece` (and of what was held back) can go out now, with its annotations. */
  push(piece: string): CitedPiece {
    const text = this.#held + piece;
    if (this.sources.length === 0) return this.#out(text);
    const hold = this.#holdFrom(text);
    this.#held = text.slice(hold);
    return this.#out(text.slice(0, hold));
  }

  /** Whatever is still held back, at the end of the reply. */
  finish(): CitedPiece {
    const text = this.#held;
    this.#held = '';
    return this.#out(text);
  }

  /** Where a marker may have started and not ended yet: hold the text from there. */
  #holdFrom(text: string): number {
    const open = Math.max(text.lastIndexOf('【'), text.lastIndexOf('['));
    if (open < 0 || text.length - open > MAX_MARKER_LENGTH) return text.length;
    const closing = text[open] === '【' ? '】' : ']';
    return text.includes(closing, open) ? text.length : open;
  }

  #out(text: string): CitedPiece {
    const annotations: FileCitationDelta[] = [];
    for (const match of text.matchAll(MARKER)) {
      const source = this.sources[Number(match[1] ?? match[2]) - 1];
      if (source === undefined) continue;
      const start = this.#emitted + (match.index ?? 0);
      annotations.push({
        index: this.#count++,
        type: 'file_citation',
        text: match[0],
        file_citation: { file_id: source.file_id, quote: source.quote },
        start_index: start,
        end_index: start + match[0].length,
      });
    }
    this.#emitted += text.length;
    return { text, annotations };
  }
}

/** The annotation as a message's content stores it (without the delta's index). */
export function storedCitation({ index: _index, ...annotation }: FileCitationDelta): FileCitation {
  return annotation;
}
