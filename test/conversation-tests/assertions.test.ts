/** The assertion table: each check judged on an observed turn, and the line a failure prints. */
import { describe, expect, it } from 'vitest';
import { containsSubset, evaluateAssertion, matchWithin, type TurnObservation } from '../../src/conversation-tests/assertions.js';
import type { Check } from '../../src/manifest/test-types.js';

const observed: TurnObservation = {
  status: 'completed',
  lastError: null,
  reply: 'This is Trip planner.\nget_weather returned: {"forecast":"sunny"}',
  calls: [
    { name: 'get_weather', arguments: '{"city":"Lisbon","unit":"celsius"}' },
    { name: 'book_flight', arguments: '{"from":"LIS","to":"BER"}' },
  ],
  citations: [{ fileId: 'file-faq', quote: 'Hold the power button', text: '【0†source】' }],
  usage: { promptTokens: 40, completionTokens: 12, totalTokens: 52 },
  latencyMs: 1234,
};
const context = { fileIds: new Map([['faq', 'file-faq'], ['policy', 'file-policy']]) };

function judge(check: Check, options: { negated?: boolean; on?: Partial<TurnObservation> } = {}): string | null {
  const source = { file: 'a.test.yaml', line: 1, column: 1 };
  return evaluateAssertion({ check, negated: options.negated ?? false, weight: 1, source }, { ...observed, ...options.on }, context).message;
}

describe('assertions', () => {
  it.each<[string, Check, string | null]>([
    ['status', { type: 'status', status: 'completed' }, null],
    ['contains', { type: 'contains', text: 'sunny' }, null],
    ['contains (missing)', { type: 'contains', text: 'rain' }, 'contains: expected a reply containing "rain", got "This is Trip planner.\\nget_weather returned: {\\"forecast\\":\\"sunny\\"}"'],
    ['icontains', { type: 'icontains', text: 'TRIP PLANNER' }, null],
    ['not_contains', { type: 'not_contains', text: 'sunny' }, expect.stringMatching(/^not_contains: expected a reply without "sunny", got "This is/) as unknown as string],
    ['equals', { type: 'equals', text: ' This is Trip planner.\nget_weather returned: {"forecast":"sunny"}\n' }, null],
    ['starts_with', { type: 'starts_with', text: 'This is' }, null],
    ['matches', { type: 'matches', pattern: 'returned: \\{.*sunny' }, null],
    ['is_json', { type: 'is_json' }, expect.stringMatching(/^is_json: expected a reply that is JSON, got "This is.*", not JSON \(Unexpected token/) as unknown as string],
    ['calls by name', { type: 'calls', calls: [{ name: 'book_flight', arguments: null, argumentsSchema: null }], order: 'in_order' }, null],
    ['calls with a subset of arguments', { type: 'calls', calls: [{ name: 'get_weather', arguments: { city: 'Lisbon' }, argumentsSchema: null }], order: 'in_order' }, null],
    [
      'calls with other arguments',
      { type: 'calls', calls: [{ name: 'get_weather', arguments: { city: 'Paris' }, argumentsSchema: null }], order: 'in_order' },
      'calls: expected a call of get_weather with arguments containing {"city":"Paris"}, got the calls get_weather({"city":"Lisbon","unit":"celsius"}), book_flight({"from":"LIS","to":"BER"})',
    ],
    [
      'calls with an arguments schema',
      { type: 'calls', calls: [{ name: 'get_weather', arguments: null, argumentsSchema: { type: 'object', properties: { unit: { enum: ['kelvin'] } } } }], order: 'in_order' },
      expect.stringMatching(/^calls: expected a call of get_weather with arguments satisfying its schema, got /) as unknown as string,
    ],
    [
      'calls in order',
      { type: 'calls', calls: [{ name: 'book_flight', arguments: null, argumentsSchema: null }, { name: 'get_weather', arguments: null, argumentsSchema: null }], order: 'in_order' },
      expect.stringMatching(/^calls: expected calls of book_flight, get_weather in this order, got/) as unknown as string,
    ],
    ['calls in any order', { type: 'calls', calls: [{ name: 'book_flight', arguments: null, argumentsSchema: null }, { name: 'get_weather', arguments: null, argumentsSchema: null }], order: 'any' }, null],
    ['no_calls of one function', { type: 'no_calls', names: ['cancel_trip'] }, null],
    ['no_calls at all', { type: 'no_calls', names: null }, expect.stringMatching(/^no_calls: expected no function calls, got the calls get_weather/) as unknown as string],
    ['cites', { type: 'cites', file: 'faq', quote: 'power button' }, null],
    ['cites another file', { type: 'cites', file: 'policy', quote: null }, 'cites: expected a citation of file "policy" (file-policy), got citations of "faq" (file-faq) quoting "Hold the power button"'],
    ['max_tokens', { type: 'max_tokens', tokens: 50 }, 'max_tokens: expected at most 50 tokens, got 52 tokens (40 prompt, 12 completion)'],
    ['max_latency', { type: 'max_latency', ms: 1000, written: '1s' }, 'max_latency: expected the turn to take at most 1s, got 1.23s'],
  ])('%s', (_name, check, message) => {
    expect(judge(check)).toEqual(message);
  });

  it('negates a check with not: true, saying what was expected instead', () => {
    expect(judge({ type: 'contains', text: 'rain' }, { negated: true })).toBeNull();
    expect(judge({ type: 'contains', text: 'sunny' }, { negated: true })).toMatch(/^not contains: expected a reply without "sunny", got "This is/);
    expect(judge({ type: 'status', status: 'completed' }, { negated: true })).toBe('not status: expected the run to end other than completed, got completed');
  });

  it('shows a failed run with its last error, and checks JSON replies against a schema', () => {
    expect(judge({ type: 'status', status: 'completed' }, { on: { status: 'failed', lastError: { code: 'server_error', message: 'boom' } } })).toBe(
      'status: expected the run to end completed, got failed (last error: server_error: boom)',
    );
    const reply = '{"assistant":"Triage","messages_seen":1}';
    expect(judge({ type: 'json_schema', schema: { type: 'object', required: ['assistant'] } }, { on: { reply } })).toBeNull();
    expect(judge({ type: 'json_schema', schema: { type: 'object', required: ['tool_outputs'] } }, { on: { reply } })).toBe(
      `json_schema: expected a JSON reply satisfying the json_schema, got ${JSON.stringify(reply)}, where the value must have required property 'tool_outputs'`,
    );
  });

  it('quotes a long reply in part, and gives up on a pattern that backtracks for too long', () => {
    const long = 'x'.repeat(1000);
    expect(judge({ type: 'contains', text: 'y' }, { on: { reply: long } })).toBe(`contains: expected a reply containing "y", got "${'x'.repeat(300)}..." (1000 characters)`);
    expect(matchWithin('^(a+)+$', `${'a'.repeat(40)}b`, 100)).toBeNull();
    // Undecided is a failure either way round.
    const hostile = { type: 'matches', pattern: '^(a+)+$' } as const;
    expect(judge(hostile, { negated: true, on: { reply: `${'a'.repeat(40)}b` } })).toBe('not matches: the pattern ran longer than 1000 ms on the reply; simplify it');
  });

  it('compares arguments as a JSON subset: objects by their entries, lists whole', () => {
    expect(containsSubset({ a: { b: 1, c: [1, 2] }, d: 0 }, { a: { c: [1, 2] } })).toBe(true);
    expect(containsSubset({ a: { c: [1, 2, 3] } }, { a: { c: [1, 2] } })).toBe(false);
    expect(containsSubset({ a: 1 }, { ['__proto__']: 1 } as never)).toBe(false);
  });
});
