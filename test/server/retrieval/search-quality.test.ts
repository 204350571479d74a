/**
 * Retrieval finds the passage that answers: over the 50-page handbook, cut into passages
 * and indexed as an upload is, the top passage for each of ten questions asked in other
 * words than the handbook's holds the answer for at least eight of them (all ten, as of
 * this writing), and so does the sentence a citation of it quotes (nine).
 */
import { expect, test } from 'vitest';
import { chunkText } from '../../../src/server/retrieval/chunk-text.js';
import { RetrievalIndex } from '../../../src/server/retrieval/retrieval-index.js';
import { handbookMarkdown, QUESTIONS } from '../fixtures/handbook.js';

test('the top passage for 8 of 10 hand-written questions holds the answer, and so does its quote', async () => {
  const text = handbookMarkdown();
  const index = new RetrievalIndex(1_000_000);
  await index.add({ fileId: 'file-handbook', filename: 'handbook.md', text, chunks: chunkText(text) });
  const misses: string[] = [];
  const quoteMisses: string[] = [];
  for (const { question, answer } of QUESTIONS) {
    const [top] = index.search(question, ['file-handbook'], { passages: 1, chars: 8000 });
    if (!top?.text.includes(answer)) misses.push(`${question} -> ${top?.text.slice(0, 120) ?? 'nothing'}`);
    if (!top?.quote.includes(answer)) quoteMisses.push(`${question} -> ${top?.quote ?? 'nothing'}`);
  }
  expect(QUESTIONS.length - misses.length, misses.join('\n')).toBeGreaterThanOrEqual(8);
  // The sentence a citation quotes from it holds the answer too.
  expect(QUESTIONS.length - quoteMisses.length, quoteMisses.join('\n')).toBeGreaterThanOrEqual(8);
});
