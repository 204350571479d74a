/**
 * canonicalJson writes its text straight from the value: it must be, character for
 * character, what JSON.stringify made of the sorted copy it used to build, since plan
 * hashes and fingerprints saved in plans and states are made of it.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, sameCanonicalJson } from '../src/canonical-json.js';

/** The former definition. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      const sorted = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(v).sort()) {
        const member = (v as Record<string, unknown>)[key];
        if (member !== undefined) sorted[key] = sortKeys(member);
      }
      return sorted;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

const VALUES: Array<[string, unknown]> = [
  ['scalars', [null, true, false, 0, -0, 1.5, 1e21, -3e-7, NaN, Infinity, '', 'a"b\\c\n\u2028\u{1F600}\u0001']],
  ['nested objects, keys out of order', { b: { z: 1, a: [{ y: 2, x: 1 }] }, a: 'first', B: 0, _: null, é: 1, '': 2 }],
  ['undefined, functions and symbols', { a: undefined, b: () => 1, c: Symbol('s'), d: [undefined, () => 1, Symbol('s')], e: 1 }],
  ['array-index keys first, in numeric order', { b: 1, 10: 'ten', 9: 'nine', 0: 'zero', '01': 'not an index', '-1': 'nor this', 4294967295: 'past the last index', a: 2 }],
  ['only index keys', { 2: 'b', 1: 'a', 100: 'c' }],
  ['a __proto__ key is data', JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')],
  ['a sparse array and empties', { sparse: [1, , 3], empty: [], none: {} }],
  ['a date, a map and a buffer', { when: new Date(0), map: new Map([['k', 1]]), bytes: Buffer.from('hi') }],
  ['a metadata-like record', { metadata: { '2024': 'year', team: 'care', assistants: 'shop/default/support' }, tools: [{ type: 'function', function: { parameters: { type: 'object' }, name: 'f' } }] }],
];

describe('canonicalJson', () => {
  it.each(VALUES)('%s: the text the sorted copy gave', (_, value) => {
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it('a top-level value JSON leaves out is undefined, as before', () => {
    expect(canonicalJson(undefined)).toBe(reference(undefined));
    expect(canonicalJson(() => 1)).toBe(reference(() => 1));
  });

  it('a bigint throws, as JSON.stringify does', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});

describe('sameCanonicalJson', () => {
  const pairs: Array<[string, unknown, unknown]> = [
    ['keys in another order', { b: [{ y: 2, x: 1 }], a: 'first' }, { a: 'first', b: [{ x: 1, y: 2 }] }],
    ['an undefined member and none', { a: 1, b: undefined }, { a: 1 }],
    ['NaN and null', [NaN], [null]],
    ['-0 and 0', { n: -0 }, { n: 0 }],
    ['a function in an array and null', [() => 1], [null]],
    ['an array and an object of its indexes', ['a'], { 0: 'a' }],
    ['other values', { a: 1 }, { a: 2 }],
    ['other lengths', [1, 2], [1]],
    ['a key more', { a: 1 }, { a: 1, b: 2 }],
    ['a string and a number', '1', 1],
    ['null and an empty object', null, {}],
    ['a date and an empty object', new Date(0), {}],
  ];
  it.each(pairs)('%s: as the canonical texts compare', (_, a, b) => {
    expect(sameCanonicalJson(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
    expect(sameCanonicalJson(b, a)).toBe(canonicalJson(a) === canonicalJson(b));
  });
});
