/**
 * Text files an assistant reads its content from: `instructions_file` (UTF-8 text, used
 * as is) and a function's `parameters_file` (a JSON Schema in .json, .yaml or .yml).
 * Problems inside them point into them.
 */
import { extname } from 'node:path';
import type { JsonValue } from '../json.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { readSourceFile, diagnosticAt, type SourceFile } from './source-file.js';
import { parseYamlTree } from './yaml-tree.js';
import type { Tree } from './tree.js';

export const MAX_INSTRUCTIONS_CHARS = 256_000;
/** Up to 4 bytes a character, plus a byte-order mark. */
const MAX_INSTRUCTIONS_BYTES = MAX_INSTRUCTIONS_CHARS * 4 + 3;
const MAX_PARAMETERS_BYTES = 1024 * 1024;

/** Failed: `access` is a message for the manifest node that names the file. */
export type TextFileResult<T> =
  | { ok: true; value: T; source: SourceFile }
  | { ok: false; access: string }
  | { ok: false; errors: ManifestDiagnostic[] };

/** Where the character after the first `limit` begins, when the text is longer. */
function offsetPastLimit(text: string, limit: number): number | undefined {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff) continue; // second half of a surrogate pair
    if (count === limit) return i;
    count++;
  }
  return undefined;
}

export function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xdc00 || code > 0xdfff) count++;
  }
  return count;
}

/** Problem with a too-long text, at the first character past the limit. */
export function tooLong(source: SourceFile, limit: number, what: string): ManifestDiagnostic | undefined {
  const past = offsetPastLimit(source.text, limit);
  if (past === undefined) return undefined;
  return diagnosticAt(source, past, `${what} are ${characterCount(source.text).toLocaleString('en-US')} characters; the API allows at most ${limit.toLocaleString('en-US')} (this is where the limit is passed)`);
}

export async function readInstructionsFile(path: string): Promise<TextFileResult<string>> {
  const read = await readSourceFile(path, { maxBytes: MAX_INSTRUCTIONS_BYTES, what: 'an instructions file' });
  if (!read.ok) return read.kind === 'access' ? { ok: false, access: read.message } : { ok: false, errors: [read.diagnostic] };
  const text = read.file.text.replace(/^\uFEFF/, '');
  const long = tooLong(read.file, MAX_INSTRUCTIONS_CHARS, 'instructions');
  if (long !== undefined) return { ok: false, errors: [long] };
  return { ok: true, value: text, source: read.file };
}

const JSON_POSITION = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/;

/** The parameters file as a Tree (positions into it), or its syntax errors. */
export async function readParametersFile(path: string): Promise<TextFileResult<Tree>> {
  const extension = extname(path).toLowerCase();
  if (extension !== '.json' && extension !== '.yaml' && extension !== '.yml') {
    return { ok: false, access: 'must be a .json, .yaml or .yml file' };
  }
  const read = await readSourceFile(path, { maxBytes: MAX_PARAMETERS_BYTES, what: 'a parameters file' });
  if (!read.ok) return read.kind === 'access' ? { ok: false, access: read.message } : { ok: false, errors: [read.diagnostic] };
  const source = read.file;
  if (extension === '.json') {
    // JSON.parse is the judge of JSON syntax (the YAML parser accepts more).
    try {
      JSON.parse(source.text.replace(/^\uFEFF/, '')) as JsonValue;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const match = JSON_POSITION.exec(message);
      const offset = match?.[1] === undefined ? source.text.length : Number(match[1]) + (source.text.startsWith('\uFEFF') ? 1 : 0);
      const reason = message.replace(JSON_POSITION, '');
      return { ok: false, errors: [diagnosticAt(source, offset, `invalid JSON: ${reason}`)] };
    }
  }
  const parsed = parseYamlTree(source, 'the parameters file');
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  return { ok: true, value: parsed.tree, source };
}
