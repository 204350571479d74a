/**
 * The fast path of the YAML parse (src/manifest/fast-yaml.ts) against the yaml library:
 * where it gives a tree, the same values and the same origins; where the yaml library
 * finds a problem, no tree (so the problem is reported as before); and no tree for what
 * it leaves to the library. Over every example, every readable bad manifest, and a seeded
 * set of generated documents full of tricky scalars.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastYamlTree } from '../../src/manifest/fast-yaml.js';
import { makeSourceFile } from '../../src/manifest/source-file.js';
import type { Tree } from '../../src/manifest/tree.js';
import { parseYamlTreeWithYaml } from '../../src/manifest/yaml-tree.js';
import { BAD_MANIFESTS } from './corpus.js';

const root = resolve(import.meta.dirname, '../..');

/** Origins without their source, for comparing. */
function positions(tree: Tree): Array<[string, number, number | undefined, number | undefined]> {
  return [...tree.origins].map(([pointer, o]) => [pointer, o.start, o.end, o.keyStart]);
}

type Outcome = 'fast' | 'bailed';

/** Compares the fast path with the yaml library on `text`; says which way it went. */
function compare(text: string, name = 'test.yaml'): Outcome {
  const source = makeSourceFile(`/x/${name}`, text);
  const fast = fastYamlTree(source);
  if (fast === null) return 'bailed';
  const full = parseYamlTreeWithYaml(source, 'the manifest');
  expect(full.ok ? null : full.errors, `${JSON.stringify(text)}: the fast path gave a tree, the yaml library errors`).toBeNull();
  if (!full.ok) return 'fast';
  expect(fast.value, JSON.stringify(text)).toStrictEqual(full.tree.value);
  expect(positions(fast), JSON.stringify(text)).toEqual(positions(full.tree));
  return 'fast';
}

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await yamlFilesUnder(path)));
    else if (/\.ya?ml$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** mulberry32: a small seeded generator, so every run sees the same documents. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Scalars as written: numbers, booleans and nulls in every form, ':' and '#' inside, quotes, escapes, indicators, unicode. */
const ATOMS = [
  '0', '-0', '+0', '1', '-1', '+12', '007', '0o17', '0o18', '0x1F', '0x1f', '0xG', '0X1F', '1e3', '1E3', '-1.5e-3', '1.5e+3', '.5', '-.5', '5.', '1.0', '1.50',
  '1_000', '1,000', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '1e400', '123456789012345678901234567890', '9007199254740993', '0.1e1', '.e1', '1e', '+', '-', '.', '0o', '0x',
  'true', 'True', 'TRUE', 'tRue', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'off', 'y', 'n',
  '~', 'null', 'Null', 'NULL', 'nULL', 'nil', 'none',
  'a:b', 'a: b', 'a:', 'a :b', 'a#b', 'a #b', 'a  # b', 'http://example.com:80/path#frag', 'key: value: more', 'x::y', '::',
  "it's", 'say "hi"', '"quoted"', "'single'", 'a\\nb', 'back\\slash',
  '-a', '- a', '--', '---', '...', '?a', '? a', ':a', '&a', '*a', '!a', '!!str x', '|', '>', '|-', '%a', '@a', '`a', '[a', '{a', ']', '}', ',a', 'a,b', 'a[b]', 'a{b}',
  'héllo', '日本語', '🎉 party', 'ünïcödé: yes', 'Ω', '\u00a0nbsp', 'zero\u200bwidth',
  'two  spaces', ' leading', 'trailing ', 'a\tb', '', ' ', 'multi\nline', 'gpt-4', 'gpt-4-turbo', 'v1.2.3', '2024-01-01', '12:30', '1:2:3', '0.0.0.0', '$HOME', '${VAR}', '@{x}',
];

const ESCAPES = ['\\n', '\\t', '\\"', '\\\\', '\\/', '\\u00e9', '\\x41', '\\U0001F600', '\\0', '\\a', '\\e', '\\N', '\\_', '\\L', '\\P', '\\ ', '\\q', '\\x4', '\\uD83D', '\\U00110000'];

function generate(next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const atom = (): string => pick(ATOMS);
  /** A scalar in some style, for a value on one line. */
  const scalar = (): string => {
    const text = atom();
    switch (pick(['plain', 'plain', 'double', 'single', 'json', 'escape'])) {
      case 'plain':
        return text;
      case 'double':
        return `"${text}"`;
      case 'single':
        return `'${text.replaceAll("'", "''")}'`;
      case 'json':
        return JSON.stringify(text);
      default:
        return `"${atom().replaceAll('"', '')}${pick(ESCAPES)}${atom().replaceAll('"', '')}"`;
    }
  };
  const comment = (): string => (next() < 0.2 ? pick([' # note', '  #: x', ' #', '#tight']) : '');
  const flow = (depth: number): string => {
    const n = Math.floor(next() * 4);
    if (next() < 0.7) return `[${Array.from({ length: n }, () => (depth < 2 && next() < 0.2 ? flow(depth + 1) : scalar())).join(pick([', ', ',', ' , ']))}${next() < 0.1 ? ', ' : ''}]`;
    return `{${Array.from({ length: n }, (_, i) => `${pick([`k${i}`, atom(), `"${i}"`])}: ${scalar()}`).join(', ')}}`;
  };
  const block = (indent: number): string[] => {
    const header = pick(['|', '>', '|-', '>-', '|+', '|2', '| # c']);
    const pad = ' '.repeat(indent + 2);
    const lines = Array.from({ length: 1 + Math.floor(next() * 4) }, () => (next() < 0.2 ? pick(['', ' ', '  extra', '# not a comment']) : atom()));
    return [header, ...lines.map((l) => (l === '' ? '' : pad + l))];
  };
  const value = (indent: number, depth: number): string[] => {
    const r = next();
    if (depth < 4 && r < 0.25) return ['', ...mapping(indent + 2, depth + 1)];
    if (depth < 4 && r < 0.4) return ['', ...sequence(next() < 0.5 ? indent : indent + 2, depth + 1)];
    if (r < 0.5) return [flow(0) + comment()];
    if (r < 0.58) return block(indent);
    if (r < 0.62) return [comment()];
    return [scalar() + comment()];
  };
  const mapping = (indent: number, depth: number): string[] => {
    const out: string[] = [];
    const count = 1 + Math.floor(next() * 4);
    for (let i = 0; i < count; i++) {
      const key = next() < 0.7 ? `key${Math.floor(next() * 6)}` : next() < 0.5 ? atom() : `"${atom().replaceAll('"', '')}"`;
      const [first, ...rest] = value(indent, depth);
      out.push(`${' '.repeat(indent)}${key}:${first === '' ? '' : ` ${first}`}`, ...rest);
      if (next() < 0.1) out.push(pick(['', '# comment', `${' '.repeat(indent)}# indented comment`, '   ']));
    }
    return out;
  };
  const sequence = (indent: number, depth: number): string[] => {
    const out: string[] = [];
    const count = 1 + Math.floor(next() * 3);
    for (let i = 0; i < count; i++) {
      if (depth < 4 && next() < 0.3) {
        const [first, ...rest] = mapping(indent + 2, depth + 1);
        out.push(`${' '.repeat(indent)}- ${first!.trimStart()}`, ...rest);
        continue;
      }
      const [first, ...rest] = value(indent, depth);
      out.push(`${' '.repeat(indent)}-${first === '' ? '' : ` ${first}`}`, ...rest);
    }
    return out;
  };
  const lines = next() < 0.85 ? mapping(0, 0) : sequence(0, 0);
  return `${lines.join('\n')}${next() < 0.9 ? '\n' : ''}`;
}

describe('the YAML fast path', () => {
  it('reads every example as the yaml library does, the manifests and their tests without it', async () => {
    const files = await yamlFilesUnder(join(root, 'examples'));
    const manifests = files.filter((file) => /(^|\/)assistants(\.[^/]*)?\.yaml$|\.test\.yaml$/.test(file));
    expect(manifests.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const outcome = compare(await readFile(file, 'utf8'));
      if (manifests.includes(file)) expect([file, outcome]).toEqual([file, 'fast']);
    }
  });

  it('reads every readable bad manifest as the yaml library does, and leaves each YAML problem to it', () => {
    let compared = 0;
    for (const c of BAD_MANIFESTS) {
      const texts = [c.manifest, ...Object.values(c.files ?? {})].filter((t): t is string => typeof t === 'string' && t !== '');
      for (const text of texts) {
        const outcome = compare(text);
        if (c.kind === 'yaml' && text === c.manifest) expect([c.name, outcome]).toEqual([c.name, 'bailed']);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('agrees with the yaml library on 2,500 generated documents of tricky scalars (seeded)', () => {
    const next = random(18);
    const outcomes = { fast: 0, bailed: 0 };
    for (let i = 0; i < 2500; i++) outcomes[compare(generate(next))]++;
    // The generator is to exercise the fast path, not only its refusals.
    expect(outcomes.fast).toBeGreaterThan(500);
    expect(outcomes.bailed).toBeGreaterThan(500);
  });

  it.each([
    ['a flow mapping as a sequence entry', 'tools:\n  - {type: retrieval}\n  - { type: function, function: {name: f} }\n'],
    ['a sequence at its key\'s indentation', 'files:\n- a\n- b\nname: x\n'],
    ['a mapping in a sequence entry', 'tests:\n  - user: hi\n    assert: [{ cites: faq }]\n'],
    ['literal and folded block scalars', 'a: |\n  one\n\n  two\nb: >-\n  three\n  four\n'],
    ['quoted keys and values with escapes', '"k: #": "a\\tb \\u00e9"\n\'k2\': \'it\'\'s\'\n'],
  ])('reads %s without the yaml library', (_name, text) => {
    expect(compare(text)).toBe('fast');
  });

  it.each([
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a complex key', '? a\n: 1\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a multi-line quoted scalar', 'a: "one\n  two"\n'],
    ['a multi-line flow collection', 'a: [1,\n  2]\n'],
    ['a tab', 'a:\tb\n'],
    ['CRLF line ends', 'a: 1\r\nb: 2\r\n'],
    ['a document start', '---\na: 1\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a merge key', 'a: 1\n<<: {b: 2}\n'],
    ['keep chomping', 'a: |+\n  x\n\n'],
    ['an indentation indicator', 'a: |2\n   x\n'],
    ['a block scalar starting with a blank line', 'a: |\n\n  x\n'],
    ['an infinite number', 'a: .inf\n'],
    ['a null key', '~: 1\n'],
    ['an empty document', '# only a comment\n'],
    ['a scalar document', 'just text\n'],
    ['an indented top level', '  a: 1\n'],
    ['a compact nested sequence', '- - a\n'],
    ['a flow map key without a value', 'a: {b, c}\n'],
  ])('leaves %s to the yaml library', (_name, text) => {
    expect(fastYamlTree(makeSourceFile('/x/test.yaml', text))).toBeNull();
  });

  it('gives up on hostile nesting without running out of stack, as the library reports it', () => {
    const deepFlow = `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    const deepBlock = Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    const deepSequence = Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(2 * i)}-`).join('\n');
    for (const text of [deepFlow, deepBlock, deepSequence]) expect(fastYamlTree(makeSourceFile('/x/test.yaml', text))).toBeNull();
    // At the limit exactly it still reads the document.
    const atLimit = `${Array.from({ length: 64 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`;
    expect(compare(atLimit)).toBe('fast');
  });
});
