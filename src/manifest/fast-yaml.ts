/**
 * The block YAML manifests are written in, read without the yaml library: mappings,
 * sequences, plain and quoted scalars on one line, flow collections on one line, literal
 * and folded block scalars, comments. It gives the same Tree (values, and origins at the
 * same offsets) as yaml-tree.ts does with the yaml library, or null for anything else:
 * anchors, aliases, tags, multi-line plain or quoted scalars and flow collections,
 * directives, tabs, carriage returns, duplicate keys, nesting past MAX_DEPTH and every
 * syntax error. The caller then parses with the yaml library, which also says what is
 * wrong. Scalars are typed by the YAML 1.2 core schema, as the yaml library does.
 * Linear in the text: every line is visited a bounded number of times, and recursion
 * stops at MAX_DEPTH.
 */
import type { JsonValue } from '../json.js';
import { childPointer } from './pointer.js';
import type { SourceFile } from './source-file.js';
import { defineEntry, MAX_DEPTH, type Origin, type Tree } from './tree.js';

/** Thrown to give up on the fast path; never escapes `fastYamlTree`. */
class Bail extends Error {}
const BAIL = new Bail();

/**
 * Characters the fast path leaves to the yaml library: tabs, carriage returns and other
 * control characters, NEL and the C1 controls, the Unicode line and paragraph separators,
 * and byte order marks.
 */
const UNHANDLED_CHARACTERS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;

const SPACE = 0x20;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;

/** Line kinds. */
const CONTENT = 0;
const BLANK = 1;
const COMMENT = 2;

export function fastYamlTree(source: SourceFile): Tree | null {
  if (UNHANDLED_CHARACTERS.test(source.text)) return null;
  try {
    return new FastParser(source).document();
  } catch (error) {
    if (error === BAIL) return null;
    throw error;
  }
}

function bail(): never {
  throw BAIL;
}

class FastParser {
  readonly text: string;
  private readonly lineStarts: number[];
  private readonly lineCount: number;
  /** Leading spaces of each line. */
  private readonly indents: Int32Array;
  private readonly kinds: Uint8Array;
  /** The first content line at or after each line (lineCount when none). */
  private readonly nextContent: Int32Array;
  private readonly origins = new Map<string, Origin>();

  constructor(private readonly source: SourceFile) {
    this.text = source.text;
    this.lineStarts = source.lineStarts;
    this.lineCount = this.lineStarts.length;
    this.indents = new Int32Array(this.lineCount);
    this.kinds = new Uint8Array(this.lineCount);
    this.nextContent = new Int32Array(this.lineCount + 1);
    const text = this.text;
    for (let line = 0; line < this.lineCount; line++) {
      const start = this.lineStarts[line]!;
      const end = this.lineEnd(line);
      let at = start;
      while (at < end && text.charCodeAt(at) === SPACE) at++;
      this.indents[line] = at - start;
      if (at === end) this.kinds[line] = BLANK;
      else if (text.charCodeAt(at) === HASH) this.kinds[line] = COMMENT;
      else {
        // Directives and document markers ("---", "..."): the yaml library's.
        const first = text.charCodeAt(start);
        if (first === 0x25 || text.startsWith('---', start) || text.startsWith('...', start)) bail();
      }
    }
    this.nextContent[this.lineCount] = this.lineCount;
    for (let line = this.lineCount - 1; line >= 0; line--) {
      this.nextContent[line] = this.kinds[line] === CONTENT ? line : this.nextContent[line + 1]!;
    }
  }

  document(): Tree {
    const first = this.nextContent[0]!;
    // Empty, or a top level indented or not a collection: the yaml library says what it is.
    if (first === this.lineCount || this.indents[first] !== 0) bail();
    const [value, next] = this.blockCollection(first, '', 0, undefined);
    if (this.nextContent[next] !== this.lineCount) bail();
    return { value, origins: this.origins };
  }

  /** Offset of the end of a line (its "\n", or the end of the text). */
  private lineEnd(line: number): number {
    return line + 1 < this.lineCount ? this.lineStarts[line + 1]! - 1 : this.text.length;
  }

  record(pointer: string, start: number, end: number | undefined, keyStart: number | undefined): void {
    const origin: Origin = { source: this.source, pointer, start };
    if (end !== undefined) origin.end = end;
    if (keyStart !== undefined) origin.keyStart = keyStart;
    this.origins.set(pointer, origin);
  }

  /** A block mapping or sequence whose first line is `line`, at its indentation. Returns it and the line after it. */
  private blockCollection(line: number, pointer: string, depth: number, keyStart: number | undefined): [JsonValue, number] {
    const indent = this.indents[line]!;
    const at = this.lineStarts[line]! + indent;
    if (this.isSequenceEntry(at, this.lineEnd(line))) return this.sequence(line, indent, pointer, depth, keyStart);
    return this.mapping(line, indent, pointer, depth, keyStart);
  }

  /** `-` followed by a space or the end of the line. */
  private isSequenceEntry(at: number, end: number): boolean {
    return this.text.charCodeAt(at) === DASH && (at + 1 === end || this.text.charCodeAt(at + 1) === SPACE);
  }

  /**
   * A block sequence at `indent`, its first entry on `line`. Also the value of a mapping
   * key at the same indentation (`tools:` then `- type: retrieval`).
   */
  private sequence(line: number, indent: number, pointer: string, depth: number, keyStart: number | undefined): [JsonValue, number] {
    if (depth > MAX_DEPTH) bail();
    const items: JsonValue[] = [];
    this.record(pointer, this.lineStarts[line]! + indent, undefined, keyStart);
    let current = line;
    while (current < this.lineCount && this.indents[current] === indent) {
      const lineStart = this.lineStarts[current]!;
      const end = this.lineEnd(current);
      const dash = lineStart + indent;
      if (!this.isSequenceEntry(dash, end)) break;
      const child = childPointer(pointer, items.length);
      let at = dash + 1;
      while (at < end && this.text.charCodeAt(at) === SPACE) at++;
      let value: JsonValue;
      let next: number;
      if (at === end || this.text.charCodeAt(at) === HASH) {
        [value, next] = this.valueBelow(current, indent, child, depth + 1, undefined, at);
      } else if (this.isSequenceEntry(at, end)) {
        bail(); // `- - x`
      } else if (this.text.charCodeAt(at) !== 0x5b && this.text.charCodeAt(at) !== 0x7b && this.keyEnd(at, end) !== -1) {
        // `- key: value`: a mapping whose keys stand at this column.
        [value, next] = this.mapping(current, at - lineStart, child, depth + 1, undefined);
      } else {
        [value, next] = this.inlineValue(current, at, end, indent, child, depth + 1, undefined);
      }
      items.push(value);
      current = this.nextContent[next]!;
    }
    if (current < this.lineCount && this.indents[current]! > indent) bail();
    return [items, current];
  }

  /** A block mapping whose keys stand at column `indent`; the first on `line` (which may start with `- `). */
  private mapping(line: number, indent: number, pointer: string, depth: number, keyStart: number | undefined): [JsonValue, number] {
    if (depth > MAX_DEPTH) bail();
    const result: { [key: string]: JsonValue } = {};
    this.record(pointer, this.lineStarts[line]! + indent, undefined, keyStart);
    let current = line;
    do {
      const end = this.lineEnd(current);
      const at = this.lineStarts[current]! + indent;
      const colon = this.keyEnd(at, end);
      if (colon === -1) bail();
      const key = this.key(at, colon);
      if (key === '<<' || Object.hasOwn(result, key)) bail();
      const child = childPointer(pointer, key);
      let valueAt = colon + 1;
      while (valueAt < end && this.text.charCodeAt(valueAt) === SPACE) valueAt++;
      let value: JsonValue;
      let next: number;
      if (valueAt === end || this.text.charCodeAt(valueAt) === HASH) {
        [value, next] = this.valueBelow(current, indent, child, depth + 1, at, valueAt);
      } else {
        [value, next] = this.inlineValue(current, valueAt, end, indent, child, depth + 1, at);
      }
      defineEntry(result, key, value);
      current = this.nextContent[next]!;
    } while (current < this.lineCount && this.indents[current] === indent);
    if (current < this.lineCount && this.indents[current]! > indent) bail();
    return [result, current];
  }

  /**
   * The value of an entry with nothing after its indicator on `line`: a block collection
   * on the lines below (a sequence may stand at the key's own indentation), else null,
   * which the yaml library places after the indicator and the spaces after it.
   */
  private valueBelow(line: number, indent: number, pointer: string, depth: number, keyStart: number | undefined, emptyAt: number): [JsonValue, number] {
    if (depth > MAX_DEPTH) bail();
    const below = this.nextContent[line + 1]!;
    if (below < this.lineCount) {
      const belowIndent = this.indents[below]!;
      if (belowIndent > indent) return this.blockCollection(below, pointer, depth, keyStart);
      const at = this.lineStarts[below]! + belowIndent;
      if (keyStart !== undefined && belowIndent === indent && this.isSequenceEntry(at, this.lineEnd(below))) {
        return this.sequence(below, indent, pointer, depth, keyStart);
      }
    }
    this.record(pointer, emptyAt, emptyAt, keyStart);
    return [null, line + 1];
  }

  /**
   * Offset of the `:` ending an implicit key that starts at `at` (followed by a space or
   * the end of the line), or -1 when the line holds no key there.
   */
  private keyEnd(at: number, end: number): number {
    const text = this.text;
    const first = text.charCodeAt(at);
    if (first === 0x22 || first === 0x27) {
      const close = this.quotedEnd(at, end);
      if (close === -1) return -1;
      let colon = close;
      while (colon < end && text.charCodeAt(colon) === SPACE) colon++;
      return colon < end && text.charCodeAt(colon) === COLON && (colon + 1 === end || text.charCodeAt(colon + 1) === SPACE) ? colon : -1;
    }
    for (let i = at; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === COLON && (i + 1 === end || text.charCodeAt(i + 1) === SPACE)) return i;
      if (c === HASH && i > at && text.charCodeAt(i - 1) === SPACE) return -1;
    }
    return -1;
  }

  /** The key from `at` to its `:`, as yaml-tree.ts makes it a string. */
  private key(at: number, colon: number): string {
    const text = this.text;
    const first = text.charCodeAt(at);
    if (first === 0x22 || first === 0x27) return this.quotedScalar(at, colon)[0];
    let end = colon;
    while (end > at && text.charCodeAt(end - 1) === SPACE) end--;
    // An empty key is null; the yaml library refuses implicit keys over 1024 characters.
    if (end === at || end - at > 1000) bail();
    const raw = text.slice(at, end);
    checkPlainStart(raw);
    const value = plainScalar(raw);
    if (value === null) bail();
    return String(value);
  }

  /**
   * A value starting at `at` on `line` after its key or dash: a quoted or plain scalar or a
   * flow collection, on this line alone, or a block scalar on the lines below.
   */
  private inlineValue(line: number, at: number, end: number, indent: number, pointer: string, depth: number, keyStart: number | undefined): [JsonValue, number] {
    if (depth > MAX_DEPTH) bail();
    const text = this.text;
    const first = text.charCodeAt(at);
    let value: JsonValue;
    let valueEnd: number;
    if (first === 0x7c || first === 0x3e) return this.blockScalar(line, at, end, indent, pointer, keyStart);
    if (first === 0x22 || first === 0x27) {
      [value, valueEnd] = this.quotedScalar(at, end);
      this.record(pointer, at, valueEnd, keyStart);
    } else if (first === 0x5b || first === 0x7b) {
      const flow = new FlowReader(this, at, end);
      value = flow.collection(pointer, depth, keyStart);
      valueEnd = flow.at;
    } else {
      valueEnd = at;
      for (let i = at; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c === HASH && text.charCodeAt(i - 1) === SPACE) break;
        // `a: b: c`, `a: b:`: a mapping where a scalar goes; the yaml library's to refuse.
        if (c === COLON && (i + 1 === end || text.charCodeAt(i + 1) === SPACE)) bail();
        if (c !== SPACE) valueEnd = i + 1;
      }
      const raw = text.slice(at, valueEnd);
      checkPlainStart(raw);
      value = plainScalar(raw);
      this.record(pointer, at, valueEnd, keyStart);
    }
    this.endOfLine(valueEnd, end);
    return [value, line + 1];
  }

  /** After a value: spaces, then the end of the line or a comment. */
  endOfLine(at: number, end: number): void {
    let i = at;
    while (i < end && this.text.charCodeAt(i) === SPACE) i++;
    if (i < end && !(this.text.charCodeAt(i) === HASH && i > at)) bail();
  }

  /** Offset after the closing quote of the quoted scalar opening at `at` (" or '), on this line; -1 when it does not close there. */
  private quotedEnd(at: number, end: number): number {
    return this.text.charCodeAt(at) === 0x22 ? this.doubleQuotedEnd(at, end) : this.singleQuotedEnd(at, end);
  }

  /** The quoted scalar opening at `at` (" or ') and the offset after its closing quote; gives up when it does not close on this line. */
  quotedScalar(at: number, end: number): [string, number] {
    const close = this.quotedEnd(at, end);
    if (close === -1) bail();
    return [this.text.charCodeAt(at) === 0x22 ? this.doubleQuoted(at, close) : this.singleQuoted(at, close), close];
  }

  /** Offset after the closing quote of a double-quoted scalar opening at `at`, on this line; -1 when it does not close there. */
  private doubleQuotedEnd(at: number, end: number): number {
    const text = this.text;
    for (let i = at + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i++;
      else if (c === 0x22) return i + 1;
    }
    return -1;
  }

  /** Offset after the closing quote of a single-quoted scalar opening at `at`, on this line; -1 when it does not close there. */
  private singleQuotedEnd(at: number, end: number): number {
    const text = this.text;
    for (let i = at + 1; i < end; i++) {
      if (text.charCodeAt(i) !== 0x27) continue;
      if (text.charCodeAt(i + 1) === 0x27 && i + 1 < end) i++;
      else return i + 1;
    }
    return -1;
  }

  /** The value of the double-quoted scalar from `at` to `close` (after its quote), with the escapes the yaml library reads. */
  private doubleQuoted(at: number, close: number): string {
    const text = this.text;
    let result = '';
    let from = at + 1;
    for (let i = from; i < close - 1; i++) {
      if (text.charCodeAt(i) !== 0x5c) continue;
      result += text.slice(from, i);
      const next = text[++i]!;
      const simple = ESCAPES[next];
      if (simple !== undefined) {
        result += simple;
      } else {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
        const hex = text.slice(i + 1, i + 1 + length);
        if (length === 0 || i + length >= close - 1 || !/^[0-9a-fA-F]+$/.test(hex)) bail();
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) bail();
        result += String.fromCodePoint(code);
        i += length;
      }
      from = i + 1;
    }
    return result + text.slice(from, close - 1);
  }

  private singleQuoted(at: number, close: number): string {
    return this.text.slice(at + 1, close - 1).replaceAll("''", "'");
  }

  /**
   * A literal (`|`) or folded (`>`) block scalar whose header is at `at`, its content on
   * the lines below, indented more than `indent`. Leading blank lines, an explicit
   * indentation, keep chomping (`+`), whitespace-only lines longer than the indentation and
   * more-indented folded lines are the yaml library's.
   */
  private blockScalar(line: number, at: number, end: number, indent: number, pointer: string, keyStart: number | undefined): [JsonValue, number] {
    const text = this.text;
    const folded = text.charCodeAt(at) === 0x3e;
    let i = at + 1;
    let strip = false;
    if (text.charCodeAt(i) === DASH) {
      strip = true;
      i++;
    }
    this.endOfLine(i, end);
    const first = line + 1;
    if (first >= this.lineCount || this.kinds[first] === BLANK) bail();
    const contentIndent = this.indents[first]!;
    if (contentIndent <= indent) bail();
    const lines: string[] = [];
    let lastContent = first;
    let current = first;
    for (; current < this.lineCount; current++) {
      const lineStart = this.lineStarts[current]!;
      const lineEnd = this.lineEnd(current);
      if (this.kinds[current] === BLANK) {
        if (lineEnd - lineStart > contentIndent) bail();
        lines.push('');
        continue;
      }
      if (this.indents[current]! < contentIndent) break;
      if (folded && this.indents[current]! > contentIndent) bail();
      lines.push(text.slice(lineStart + contentIndent, lineEnd));
      lastContent = current;
    }
    lines.length = lastContent - first + 1;
    const contentEnd = this.lineEnd(lastContent);
    // Clipped, the value ends in a line break even where the text has none.
    const value = (folded ? fold(lines) : lines.join('\n')) + (strip ? '' : '\n');
    this.record(pointer, at, contentEnd < text.length ? contentEnd + 1 : contentEnd, keyStart);
    return [value, current];
  }
}

/** A flow collection (`[a, b]`, `{a: 1}`) that opens and closes on one line. */
class FlowReader {
  private readonly text: string;

  constructor(
    private readonly parser: FastParser,
    public at: number,
    private readonly end: number,
  ) {
    this.text = parser.text;
  }

  private spaces(): void {
    while (this.at < this.end && this.text.charCodeAt(this.at) === SPACE) this.at++;
  }

  private peek(): number {
    if (this.at >= this.end) bail();
    return this.text.charCodeAt(this.at);
  }

  collection(pointer: string, depth: number, keyStart: number | undefined): JsonValue {
    if (depth > MAX_DEPTH) bail();
    const open = this.text.charCodeAt(this.at);
    this.parser.record(pointer, this.at, undefined, keyStart);
    this.at++;
    if (open === 0x5b) {
      const items: JsonValue[] = [];
      for (;;) {
        this.spaces();
        if (this.peek() === 0x5d) break;
        items.push(this.value(childPointer(pointer, items.length), depth + 1, undefined));
        this.spaces();
        if (this.peek() === 0x2c) this.at++;
        else if (this.peek() !== 0x5d) bail();
      }
      this.at++;
      return items;
    }
    const result: { [key: string]: JsonValue } = {};
    for (;;) {
      this.spaces();
      if (this.peek() === 0x7d) break;
      const keyAt = this.at;
      const key = this.key();
      if (key === '<<' || Object.hasOwn(result, key)) bail();
      defineEntry(result, key, this.value(childPointer(pointer, key), depth + 1, keyAt));
      this.spaces();
      if (this.peek() === 0x2c) this.at++;
      else if (this.peek() !== 0x7d) bail();
    }
    this.at++;
    return result;
  }

  /** A key and its `: `. */
  private key(): string {
    const first = this.peek();
    let key: string;
    if (first === 0x22 || first === 0x27) {
      [key, this.at] = this.parser.quotedScalar(this.at, this.end);
    } else {
      const raw = this.plain();
      const value = plainScalar(raw);
      if (value === null) bail();
      key = String(value);
    }
    this.spaces();
    if (this.peek() !== COLON) bail();
    this.at++;
    if (this.peek() !== SPACE) bail();
    return key;
  }

  private value(pointer: string, depth: number, keyStart: number | undefined): JsonValue {
    if (depth > MAX_DEPTH) bail();
    this.spaces();
    const first = this.peek();
    const start = this.at;
    if (first === 0x5b || first === 0x7b) return this.collection(pointer, depth, keyStart);
    let value: JsonValue;
    if (first === 0x22 || first === 0x27) {
      [value, this.at] = this.parser.quotedScalar(this.at, this.end);
    } else {
      value = plainScalar(this.plain());
    }
    this.parser.record(pointer, start, this.at, keyStart);
    return value;
  }

  /** A plain scalar inside a flow collection: up to `,`, `:`, a bracket or a brace; `#` is left to the yaml library. */
  private plain(): string {
    const text = this.text;
    const start = this.at;
    let valueEnd = start;
    for (; this.at < this.end; this.at++) {
      const c = text.charCodeAt(this.at);
      if (c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d || c === COLON) break;
      if (c === HASH) bail();
      if (c !== SPACE) valueEnd = this.at + 1;
    }
    if (valueEnd === start) bail();
    this.at = valueEnd;
    const raw = text.slice(start, valueEnd);
    checkPlainStart(raw);
    return raw;
  }
}

/** The escapes of double-quoted scalars that stand for one character, as the yaml library reads them. */
const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

/**
 * A plain scalar may not start with an indicator; `-`, `?` and `:` only before a
 * non-space, and the fast path leaves even those but `-` to the yaml library.
 */
function checkPlainStart(raw: string): void {
  const c = raw.charCodeAt(0);
  if ('?:,[]{}#&*!|>\'"%@`'.includes(raw[0]!)) bail();
  if (c === DASH && (raw.length === 1 || raw.charCodeAt(1) === SPACE)) bail();
}

const NULL = /^(?:[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/**
 * A plain scalar typed by the YAML 1.2 core schema, the tests tried in the yaml library's
 * order; an infinite or NaN number is yaml-tree.ts's to refuse.
 */
export function plainScalar(raw: string): JsonValue {
  const c = raw.charCodeAt(0);
  // Each test's first characters: `~`, n, N for null; t, T, f, F for booleans; digits, `+`, `-`, `.` for numbers.
  if (!((c >= 0x30 && c <= 0x39) || c === 0x2b || c === DASH || c === 0x2e)) {
    if (raw === '~' || ((raw.length === 4 || raw.length === 5) && NULL.test(raw))) return null;
    if ((raw.length === 4 || raw.length === 5) && BOOL.test(raw)) return c === 0x74 || c === 0x54;
    return raw;
  }
  let number: number;
  if (INT_OCT.test(raw)) number = parseInt(raw.slice(2), 8);
  else if (INT.test(raw)) number = parseInt(raw, 10);
  else if (INT_HEX.test(raw)) number = parseInt(raw.slice(2), 16);
  else if (FLOAT_NAN.test(raw)) bail();
  else if (FLOAT_EXP.test(raw) || FLOAT.test(raw)) number = parseFloat(raw);
  else return raw;
  if (!Number.isFinite(number)) bail();
  return number;
}

/** Folded lines (none more indented): a single break between two lines is a space; an empty line is a break. */
function fold(lines: readonly string[]): string {
  let result = lines[0] ?? '';
  let breaks = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') {
      breaks++;
      continue;
    }
    result += breaks === 0 ? ` ${line}` : '\n'.repeat(breaks) + line;
    breaks = 0;
  }
  return result;
}
