/**
 * How text becomes search terms, the same for the index, the queries and the choice of a
 * quote: split at spaces and punctuation, lower-cased, common English words dropped, and
 * plurals folded (`refunds` -> `refund`, `policies` -> `policy`).
 */

const SPLIT = /[\n\r\p{Z}\p{P}]+/u;

const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its ' +
    'me my no not of on or our should so than that the their them then there these they this those to was we ' +
    'were what when where which who whom why will with would you your about after before any all also'
  ).split(' '),
);

/** The term a word counts as, or null for a word too common to search for. */
export function searchTerm(word: string): string | null {
  const lower = word.toLowerCase();
  // A lone letter is what an apostrophe leaves (`refund's` -> `refund`, `s`).
  if (STOP_WORDS.has(lower) || (lower.length < 2 && !/\d/.test(lower))) return null;
  if (lower.length > 4 && lower.endsWith('ies')) return `${lower.slice(0, -3)}y`;
  if (lower.length > 4 && /(ss|x|ch|sh)es$/.test(lower)) return lower.slice(0, -2);
  if (lower.length > 3 && lower.endsWith('s') && !/(ss|us|is)$/.test(lower)) return lower.slice(0, -1);
  return lower;
}

export function splitWords(text: string): string[] {
  return text.split(SPLIT);
}

/** The distinct search terms of a text. */
export function searchTerms(text: string): Set<string> {
  const terms = new Set<string>();
  for (const word of splitWords(text)) {
    const term = searchTerm(word);
    if (term !== null) terms.add(term);
  }
  return terms;
}
