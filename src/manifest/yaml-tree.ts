/**
 * YAML (and JSON, which the same parser reads) to a Tree: plain JSON values with the
 * origin of every node. Syntax errors, duplicate keys, unknown anchors, tags that are
 * not JSON values, excessive nesting and alias bombs become diagnostics, never throws.
 *
 * The block YAML manifests are written in is read by fast-yaml.ts; anything else, and
 * every document with a problem, by the yaml library, loaded only then.
 */
import { createRequire } from 'node:module';
import type { Document, Node as YamlNode } from 'yaml';
import type { JsonValue } from '../json.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { fastYamlTree } from './fast-yaml.js';
import { childPointer } from './pointer.js';
import { diagnosticAt, type SourceFile } from './source-file.js';
import { defineEntry, MAX_DEPTH, type Origin, type Tree } from './tree.js';

/** Nodes that may be produced by expanding aliases; far above any honest reuse. */
export const MAX_ALIAS_NODES = 10_000;
/** Syntax errors reported before the rest are summed up in one line. */
const MAX_SYNTAX_ERRORS = 50;

export type ParseResult = { ok: true; tree: Tree } | { ok: false; errors: ManifestDiagnostic[] };

/** Too deep or too many aliased nodes: stop building, the document is hostile. */
class Abort extends Error {}

function syntaxMessage(code: string, message: string, what: string): string {
  if (code === 'MULTIPLE_DOCS') return `${what} must be a single YAML document; remove the "---" that starts a second one`;
  if (code === 'TAB_AS_INDENT') return 'YAML does not allow tabs for indentation; use spaces';
  return `YAML syntax error: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

/** The yaml library (some 70 modules), on the first document the fast path leaves to it. */
let yamlLibrary: typeof import('yaml') | undefined;
function yaml(): typeof import('yaml') {
  yamlLibrary ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlLibrary;
}

/**
 * `what` names the document in messages ("the manifest", "the parameters file").
 */
export function parseYamlTree(source: SourceFile, what: string): ParseResult {
  const tree = fastYamlTree(source);
  return tree === null ? parseYamlTreeWithYaml(source, what) : { ok: true, tree };
}

/** parseYamlTree with the yaml library alone (what the fast path is tested against). */
export function parseYamlTreeWithYaml(source: SourceFile, what: string): ParseResult {
  const { isScalar, parseDocument } = yaml();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(source.text, { prettyErrors: false, uniqueKeys: false, merge: false, strict: true });
  } catch {
    return { ok: false, errors: [diagnosticAt(source, 0, `${what} is nested too deeply to parse`)] };
  }
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    // Past the parser's stack, everything after is noise. Where exactly it gave up
    // depends on the stack size, so name the line, not the column.
    const overflow = problems.find((e) => /call stack/i.test(e.message));
    if (overflow !== undefined) {
      const lineStart = source.text.lastIndexOf('\n', overflow.pos[0] - 1) + 1;
      return { ok: false, errors: [diagnosticAt(source, lineStart, `${what} is nested too deeply to parse`)] };
    }
    const errors = problems.slice(0, MAX_SYNTAX_ERRORS).map((e) => diagnosticAt(source, e.pos[0], syntaxMessage(e.code, e.message, what)));
    const last = problems[MAX_SYNTAX_ERRORS];
    if (last !== undefined) {
      errors.push(diagnosticAt(source, last.pos[0], `... and ${problems.length - MAX_SYNTAX_ERRORS} more YAML syntax errors`));
    }
    return { ok: false, errors };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '')) {
    return { ok: false, errors: [diagnosticAt(source, 0, `${what} is empty`)] };
  }
  const builder = new TreeBuilder(doc, source);
  let value: JsonValue;
  try {
    value = builder.build(doc.contents, '', undefined, 0, undefined);
  } catch (error) {
    if (!(error instanceof Abort)) throw error;
    return { ok: false, errors: builder.errors };
  }
  if (builder.errors.length > 0) return { ok: false, errors: builder.errors };
  return { ok: true, tree: { value, origins: builder.origins } };
}

class TreeBuilder {
  readonly origins = new Map<string, Origin>();
  readonly errors: ManifestDiagnostic[] = [];
  private aliasNodes = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly source: SourceFile,
  ) {}

  private fail(offset: number, message: string, pointer: string): void {
    this.errors.push(diagnosticAt(this.source, offset, message, pointer));
  }

  /**
   * `aliasAt`: where the outermost alias being expanded was written, if any; an alias
   * bomb is reported there.
   */
  build(node: unknown, pointer: string, keyStart: number | undefined, depth: number, aliasAt: number | undefined): JsonValue {
    const { isAlias, isMap, isScalar, isSeq } = yaml();
    if (depth > MAX_DEPTH) {
      this.fail(this.startOf(node, keyStart), `nested more than ${MAX_DEPTH} levels deep`, pointer);
      throw new Abort();
    }
    if (aliasAt !== undefined && ++this.aliasNodes > MAX_ALIAS_NODES) {
      this.fail(aliasAt, `aliases expand to more than ${MAX_ALIAS_NODES} values; refusing what looks like an alias bomb`, pointer);
      throw new Abort();
    }
    if (node === null || node === undefined) {
      // An entry with no value (`key:`): null, positioned at its key.
      const at = keyStart ?? 0;
      this.record(pointer, at, at, keyStart);
      return null;
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      const start = node.range?.[0] ?? keyStart ?? 0;
      if (target === undefined) {
        this.fail(start, `unknown anchor "*${node.source}": define "&${node.source}" before using it`, pointer);
        return null;
      }
      const value = this.build(target, pointer, keyStart, depth + 1, aliasAt ?? start);
      this.record(pointer, start, node.range?.[1] ?? start, keyStart);
      return value;
    }
    const yamlNode = node as YamlNode;
    const [start, end] = yamlNode.range ?? [keyStart ?? 0, keyStart ?? 0];
    this.record(pointer, start, isScalar(node) ? end : undefined, keyStart);
    if (isScalar(node)) return this.scalar(node.value, start, pointer, node.tag);
    if (isSeq(node)) {
      return node.items.map((item, index) => this.build(item, childPointer(pointer, index), undefined, depth + 1, aliasAt));
    }
    if (isMap(node)) {
      const result: { [key: string]: JsonValue } = {};
      const firstLine = new Map<string, number>();
      for (const pair of node.items) {
        const keyNode = pair.key;
        const keyOffset = isScalar(keyNode) || isAlias(keyNode) || isMap(keyNode) || isSeq(keyNode) ? (keyNode.range?.[0] ?? start) : start;
        if (!isScalar(keyNode) || typeof keyNode.value === 'object') {
          this.fail(keyOffset, 'keys must be plain strings', pointer);
          continue;
        }
        const key = String(keyNode.value);
        const child = childPointer(pointer, key);
        if (key === '<<') {
          this.fail(keyOffset, 'YAML merge keys ("<<") are not supported; repeat the fields, or alias the whole value', child);
          continue;
        }
        const previous = firstLine.get(key);
        if (previous !== undefined) {
          this.fail(keyOffset, `duplicate key "${key}" (first defined on line ${previous})`, child);
          continue;
        }
        firstLine.set(key, diagnosticAt(this.source, keyOffset, '').line);
        defineEntry(result, key, this.build(pair.value, child, keyOffset, depth + 1, aliasAt));
      }
      return result;
    }
    this.fail(start, 'unsupported YAML node', pointer);
    return null;
  }

  private scalar(value: unknown, start: number, pointer: string, tag: string | undefined): JsonValue {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    const what = typeof value === 'number' ? String(value) : tag !== undefined ? `a ${tag.replace('tag:yaml.org,2002:', '!!')} value` : 'this value';
    this.fail(start, `${what} is not allowed here: use a string, number, true/false or null`, pointer);
    return null;
  }

  private startOf(node: unknown, keyStart: number | undefined): number {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range?.[0] ?? keyStart ?? 0;
  }

  private record(pointer: string, start: number, end: number | undefined, keyStart: number | undefined): void {
    const origin: Origin = { source: this.source, pointer, start };
    if (end !== undefined) origin.end = end;
    if (keyStart !== undefined) origin.keyStart = keyStart;
    this.origins.set(pointer, origin);
  }
}
