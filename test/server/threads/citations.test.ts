/** Source markers become citations however the reply is cut into pieces. */
import { expect, test } from 'vitest';
import { CitationWriter, storedCitation } from '../../../src/server/threads/citations.js';

const sources = [
  { file_id: 'file-a', filename: 'a.md', text: 'A.', quote: 'Quote A.' },
  { file_id: 'file-b', filename: 'b.md', text: 'B.', quote: 'Quote B.' },
];

function writeInPieces(reply: string, size: number): { text: string; annotations: ReturnType<CitationWriter['push']>['annotations'] } {
  const writer = new CitationWriter(sources);
  const pieces = [...(reply.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? []).map((piece) => writer.push(piece)), writer.finish()];
  return { text: pieces.map((piece) => piece.text).join(''), annotations: pieces.flatMap((piece) => piece.annotations) };
}

test('every marker form, split at every point, cites its passage at the right place', () => {
  const reply = 'First 【1†source】, then [2], then 【2】 and [1†source]; [3] and 【9†source】 name no passage, nor does array[0].';
  const whole = writeInPieces(reply, reply.length);
  expect(whole.text).toBe(reply);
  expect(whole.annotations.map((a) => [a.index, a.text, a.file_citation.file_id, reply.slice(a.start_index, a.end_index)])).toEqual([
    [0, '【1†source】', 'file-a', '【1†source】'],
    [1, '[2]', 'file-b', '[2]'],
    [2, '【2】', 'file-b', '【2】'],
    [3, '[1†source]', 'file-a', '[1†source]'],
  ]);
  for (const size of [1, 2, 3, 5, 8, 13]) expect(writeInPieces(reply, size)).toEqual(whole);
  expect(storedCitation(whole.annotations[0] as never)).toEqual({
    type: 'file_citation',
    text: '【1†source】',
    file_citation: { file_id: 'file-a', quote: 'Quote A.' },
    start_index: 6,
    end_index: 16,
  });
});

test('an opening bracket that never closes is held only as long as a marker could be', () => {
  const writer = new CitationWriter(sources);
  expect(writer.push('see [').text).toBe('see ');
  expect(writer.push('the list below, which goes on').text).toBe('[the list below, which goes on');
  expect(new CitationWriter([]).push('[1').text).toBe('[1');
});
