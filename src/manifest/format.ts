/**
 * `assistants fmt`: the manifest in its canonical layout, comments kept. The YAML is
 * re-emitted by the parser that reads it (2-space indents, no line folding), and the keys
 * of the manifest and of each assistant are put in the schema's order, each with its
 * comments; nothing else moves, so the document means what it meant.
 */
import { isMap, isScalar, parseDocument, visit, type Pair, type YAMLMap } from 'yaml';
import { ASSISTANT_FIELD_ORDER, MANIFEST_KEY_ORDER } from './key-order.js';

export type FormatResult = { ok: true; text: string; changed: boolean } | { ok: false; line: number; column: number; message: string };

function keyOf(pair: Pair): string | null {
  return isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : null;
}

/**
 * The map's pairs in `order`, the keys it does not name after them as they were. A comment
 * above an assistant's first field is that field's, and moves with it; a comment above the
 * document's first key is the document's, and stays on top.
 */
function reorder(map: YAMLMap, order: readonly string[], root = false): void {
  const head = map.items[0];
  if (!root && map.commentBefore && head !== undefined && isScalar(head.key)) {
    head.key.commentBefore = head.key.commentBefore ? `${map.commentBefore}\n${head.key.commentBefore}` : map.commentBefore;
    map.commentBefore = null;
  }
  const rank = (pair: Pair): number => {
    const at = order.indexOf(keyOf(pair) ?? '');
    return at < 0 ? order.length : at;
  };
  // A stable sort: keys of one rank keep their order.
  const sorted = [...map.items].sort((a, b) => rank(a) - rank(b));
  // The first pair's blank line before it belongs to the map's position, not to the key.
  const first = map.items[0];
  if (first !== undefined && sorted[0] !== first && isScalar(first.key) && isScalar(sorted[0]?.key)) {
    const [was, now] = [first.key, sorted[0].key];
    [was.spaceBefore, now.spaceBefore] = [now.spaceBefore, was.spaceBefore];
    if (root) [was.commentBefore, now.commentBefore] = [now.commentBefore, was.commentBefore];
  }
  map.items = sorted;
}

function isMapNode(value: unknown): value is YAMLMap {
  return isMap(value);
}

function assistantsOf(map: YAMLMap | null): YAMLMap[] {
  const assistants = map?.get('assistants');
  return isMap(assistants) ? assistants.items.map((pair) => pair.value).filter(isMapNode) : [];
}

export function formatManifest(text: string): FormatResult {
  const doc = parseDocument(text, { prettyErrors: false, strict: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
    return { ok: false, line, column, message: error.message.split('\n')[0] ?? 'the manifest is not valid YAML' };
  }
  const root: YAMLMap | null = isMap(doc.contents) ? doc.contents : null;
  // Moving a key could put an alias before its anchor: a document with aliases keeps its order.
  let aliases = false;
  visit(doc, {
    Alias: () => {
      aliases = true;
      return visit.BREAK;
    },
  });
  if (root !== null && !aliases) {
    reorder(root, MANIFEST_KEY_ORDER, true);
    const environments = root.get('environments');
    const overrides: YAMLMap[] = isMap(environments) ? environments.items.map((pair) => pair.value).filter(isMapNode) : [];
    for (const assistant of [root, ...overrides].flatMap((map) => assistantsOf(map))) reorder(assistant, ASSISTANT_FIELD_ORDER);
  }
  let formatted: string;
  try {
    formatted = doc.toString({ indent: 2, indentSeq: true, lineWidth: 0, minContentWidth: 0, flowCollectionPadding: true });
  } catch (thrown) {
    // An alias with no anchor before it: YAML the loader refuses too.
    return { ok: false, line: 1, column: 1, message: thrown instanceof Error ? thrown.message : String(thrown) };
  }
  return { ok: true, text: formatted, changed: formatted !== text };
}
