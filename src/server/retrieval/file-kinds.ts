/**
 * Which uploads are indexed for retrieval, by the extension of their name: plain text
 * (text, Markdown, JSON, CSV, source code...), HTML and PDF. Anything else (images,
 * Office documents, archives) is stored as it is and never searched.
 */
import { extname } from 'node:path';

export type RetrievalKind = 'text' | 'markdown' | 'html' | 'pdf';

const KINDS: ReadonlyMap<string, RetrievalKind> = new Map([
  ...['.md', '.markdown', '.mdx'].map((ext) => [ext, 'markdown'] as const),
  ...['.html', '.htm', '.xhtml'].map((ext) => [ext, 'html'] as const),
  ['.pdf', 'pdf'],
  ...[
    '.txt', '.text', '.log', '.json', '.jsonl', '.csv', '.tsv', '.xml', '.yaml', '.yml', '.toml', '.ini', '.rst', '.tex',
    '.c', '.cc', '.cpp', '.h', '.hpp', '.cs', '.java', '.kt', '.go', '.rs', '.py', '.rb', '.php', '.js', '.mjs', '.cjs',
    '.ts', '.tsx', '.jsx', '.css', '.sh', '.sql', '.swift',
  ].map((ext) => [ext, 'text'] as const),
]);

/** The kind of text an upload named `filename` holds, or null when it is not indexed. */
export function retrievalKind(filename: string): RetrievalKind | null {
  return KINDS.get(extname(filename).toLowerCase()) ?? null;
}

