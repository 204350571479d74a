/**
 * The quote a citation carries: the sentence of a passage that best answers the question
 * (with the next one when it is only a few words), at most `MAX_QUOTE_CHARS`, always a
 * range of the file's text, so the quote is found in the file as it is.
 *
 * A sentence scores the weight of each question term it holds, plus the mean weight of all
 * its terms. A term weighs more the fewer passages of the file hold it, so the second part
 * prefers a sentence that says something of its own over boilerplate that repeats the
 * question's words (a handbook's "questions about gas canisters go to head office" against
 * its "no more than 50 canisters may be kept").
 */
import { searchTerms } from './search-terms.js';

const MAX_QUOTE_CHARS = 400;
const SHORT_SENTENCE_CHARS = 30;

/**
 * Sentences of `text[start, end)` as ranges: ended by `.`, `!` or `?` and a space, or by a
 * line break, unless the next line starts with a lower-case letter (a wrapped line of the
 * same sentence, as in hard-wrapped text and PDFs).
 */
function sentences(text: string, start: number, end: number): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  const boundary = /[.!?]["')\]]?(?=\s)|\n(?![ \t]*\p{Ll})/gu;
  const slice = text.slice(start, end);
  let from = 0;
  const add = (to: number): void => {
    let a = from;
    let b = to;
    while (a < b && /\s/.test(slice[a] as string)) a++;
    while (b > a && /\s/.test(slice[b - 1] as string)) b--;
    if (b > a) found.push([start + a, start + b]);
  };
  for (let match = boundary.exec(slice); match !== null; match = boundary.exec(slice)) {
    add(match.index + match[0].length);
    from = match.index + match[0].length;
  }
  add(slice.length);
  return found;
}

/** How much a term says: more, the fewer of the file's passages hold it. */
export type TermWeight = (term: string) => number;

function scoreOf(sentence: string, question: ReadonlySet<string>, weight: TermWeight): number {
  const terms = searchTerms(sentence);
  if (terms.size === 0) return 0;
  let answered = 0;
  let all = 0;
  for (const term of terms) {
    const w = weight(term);
    all += w;
    if (question.has(term)) answered += w;
  }
  return answered + all / terms.size;
}

/** The range of `text` to quote from the passage `[start, end)` for a question with these terms. */
export function quoteRange(text: string, start: number, end: number, question: ReadonlySet<string>, weight: TermWeight): [number, number] {
  const candidates = sentences(text, start, end);
  if (candidates.length === 0) return [start, start];
  let bestIndex = 0;
  let bestScore = -1;
  candidates.forEach(([a, b], index) => {
    const score = scoreOf(text.slice(a, b), question, weight);
    if (score > bestScore) {
      bestScore = score;
      bestIndex = index;
    }
  });
  const [qStart, firstEnd] = candidates[bestIndex] as [number, number];
  let qEnd = firstEnd;
  const next = candidates[bestIndex + 1];
  if (qEnd - qStart < SHORT_SENTENCE_CHARS && next !== undefined) qEnd = next[1];
  if (qEnd - qStart > MAX_QUOTE_CHARS) {
    // Cut at the last space within the limit, so no word is cut in two.
    const cut = text.lastIndexOf(' ', qStart + MAX_QUOTE_CHARS);
    qEnd = cut > qStart ? cut : qStart + MAX_QUOTE_CHARS;
  }
  return [qStart, qEnd];
}
