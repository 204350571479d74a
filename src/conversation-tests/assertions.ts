/**
 * The assertions of behaviour tests: one pure function per check, judging what one turn
 * observed. Each says what it expected, both ways (for `not: true`), and what it got, so a
 * failure reads "expected a reply containing "shipped", got "This is ..."".
 */
import { createContext, runInContext } from 'node:vm';
import type { JsonValue } from '../json.js';
import { canonicalJson } from '../canonical-json.js';
import type { AssertionDefinition, CallExpectation, Check, CheckType } from '../manifest/test-types.js';
import { jsonSchemaProblem } from './json-schema.js';

/** A function call the run asked for: its name and its arguments as the model wrote them. */
export interface CallMade {
  name: string;
  arguments: string;
}

/** A `file_citation` annotation of the reply. */
export interface Citation {
  fileId: string;
  quote: string;
  text: string;
}

/** What one turn of a conversation produced. */
export interface TurnObservation {
  /** The run's final status, as the API names it. */
  status: string;
  lastError: { code: string; message: string } | null;
  /** The text of the messages the run wrote, in order, joined by a blank line. */
  reply: string;
  /** Every function call of the run, in the order asked for. */
  calls: CallMade[];
  citations: Citation[];
  usage: { promptTokens: number; completionTokens: number; totalTokens: number } | null;
  /** From sending the message to the run's end, tool output rounds included. */
  latencyMs: number;
}

export interface CheckContext {
  /** Manifest file name -> its upload's id in the environment under test. */
  fileIds: ReadonlyMap<string, string>;
  /** Hides sensitive values in what a message quotes (before it is cut short). */
  scrub?: (text: string) => string;
}

/** A check's finding: whether it holds, what was expected (either way) and what was got. */
interface Finding {
  holds: boolean;
  expected: string;
  /** What `not: true` expects instead. */
  expectedNot: string;
  got: string;
  /** The check could not be decided (a pattern that ran out of time): failed, negated or not. */
  undecided?: string;
}

type Rule<T extends CheckType> = (check: Extract<Check, { type: T }>, observed: TurnObservation, context: CheckContext) => Finding;

/** How long one regular expression may run on a reply: a hostile pattern must not hang the run. */
export const MATCH_TIMEOUT_MS = 1_000;
/** How much of a reply a failure message quotes. */
const QUOTED_CHARS = 300;

const RULES: { [T in CheckType]: Rule<T> } = {
  status: (check, observed, context) => ({
    holds: observed.status === check.status,
    expected: `the run to end ${check.status}`,
    expectedNot: `the run to end other than ${check.status}`,
    got: describeStatus(observed, context),
  }),
  contains: (check, observed, context) => ({
    holds: observed.reply.includes(check.text),
    expected: `a reply containing ${quote(check.text)}`,
    expectedNot: `a reply without ${quote(check.text)}`,
    got: describeReply(observed.reply, context),
  }),
  icontains: (check, observed, context) => ({
    holds: observed.reply.toLowerCase().includes(check.text.toLowerCase()),
    expected: `a reply containing ${quote(check.text)} in any case`,
    expectedNot: `a reply without ${quote(check.text)} in any case`,
    got: describeReply(observed.reply, context),
  }),
  not_contains: (check, observed, context) => ({
    holds: !observed.reply.includes(check.text),
    expected: `a reply without ${quote(check.text)}`,
    expectedNot: `a reply containing ${quote(check.text)}`,
    got: describeReply(observed.reply, context),
  }),
  equals: (check, observed, context) => ({
    holds: observed.reply.trim() === check.text.trim(),
    expected: `the reply ${quote(check.text.trim())}`,
    expectedNot: `a reply other than ${quote(check.text.trim())}`,
    got: describeReply(observed.reply, context),
  }),
  starts_with: (check, observed, context) => ({
    holds: observed.reply.trimStart().startsWith(check.text),
    expected: `a reply starting with ${quote(check.text)}`,
    expectedNot: `a reply not starting with ${quote(check.text)}`,
    got: describeReply(observed.reply, context),
  }),
  matches: (check, observed, context) => {
    const finding = { expected: `a reply matching /${check.pattern}/`, expectedNot: `a reply not matching /${check.pattern}/`, got: describeReply(observed.reply, context) };
    const matched = matchWithin(check.pattern, observed.reply, MATCH_TIMEOUT_MS);
    if (matched === null) return { ...finding, holds: false, undecided: `the pattern ran longer than ${MATCH_TIMEOUT_MS} ms on the reply; simplify it` };
    return { ...finding, holds: matched };
  },
  is_json: (_check, observed, context) => {
    const parsed = parseJson(observed.reply);
    return {
      holds: parsed.ok,
      expected: 'a reply that is JSON',
      expectedNot: 'a reply that is not JSON',
      got: parsed.ok ? describeReply(observed.reply, context) : `${describeReply(observed.reply, context)}, not JSON (${parsed.problem})`,
    };
  },
  json_schema: (check, observed, context) => {
    const expected = 'a JSON reply satisfying the json_schema';
    const expectedNot = 'a reply not satisfying the json_schema';
    const parsed = parseJson(observed.reply);
    if (!parsed.ok) return { holds: false, expected, expectedNot, got: `${describeReply(observed.reply, context)}, not JSON (${parsed.problem})` };
    const problem = jsonSchemaProblem(check.schema, parsed.value);
    return { holds: problem === null, expected, expectedNot, got: problem === null ? describeReply(observed.reply, context) : `${describeReply(observed.reply, context)}, where ${problem}` };
  },
  calls: (check, observed, context) => {
    const wanted = check.calls.map(describeExpectedCall).join(', ');
    const several = check.calls.length > 1;
    const order = several ? (check.order === 'any' ? ' in any order' : ' in this order') : '';
    return {
      holds: check.order === 'any' ? matchAnyOrder(check.calls, observed.calls) : matchInOrder(check.calls, observed.calls),
      expected: `${several ? 'calls of' : 'a call of'} ${wanted}${order}`,
      expectedNot: `no ${several ? 'calls of' : 'call of'} ${wanted}${order}`,
      got: describeCalls(observed.calls, context),
    };
  },
  no_calls: (check, observed, context) => {
    const names = check.names;
    const made = names === null ? observed.calls : observed.calls.filter((call) => names.includes(call.name));
    const what = names === null ? 'no function calls' : `no call of ${names.join(', ')}`;
    return { holds: made.length === 0, expected: what, expectedNot: names === null ? 'a function call' : `a call of ${names.join(' or ')}`, got: describeCalls(observed.calls, context) };
  },
  cites: (check, observed, context) => {
    const id = context.fileIds.get(check.file);
    const quoted = check.quote === null ? '' : ` quoting ${quote(check.quote)}`;
    const holds = id !== undefined && observed.citations.some((c) => c.fileId === id && (check.quote === null || c.quote.includes(check.quote)));
    return {
      holds,
      expected: `a citation of file "${check.file}" (${id ?? 'not uploaded'})${quoted}`,
      expectedNot: `no citation of file "${check.file}" (${id ?? 'not uploaded'})${quoted}`,
      got: describeCitations(observed.citations, context),
    };
  },
  max_tokens: (check, observed, context) => {
    const total = observed.usage?.totalTokens;
    return {
      holds: total !== undefined && total <= check.tokens,
      expected: `at most ${check.tokens} tokens`,
      expectedNot: `more than ${check.tokens} tokens`,
      got: total === undefined ? 'no usage reported by the run' : `${total} tokens (${observed.usage!.promptTokens} prompt, ${observed.usage!.completionTokens} completion)`,
    };
  },
  max_latency: (check, observed, context) => ({
    holds: observed.latencyMs <= check.ms,
    expected: `the turn to take at most ${check.written}`,
    expectedNot: `the turn to take longer than ${check.written}`,
    got: `${formatMs(observed.latencyMs)}`,
  }),
};

/** One assertion judged: with `not: true` the finding is reversed. */
export interface AssertionResult {
  type: CheckType;
  negated: boolean;
  weight: number;
  passed: boolean;
  /** What the assertion expected (already reversed for `not: true`). */
  expected: string;
  got: string;
  /** One line for a failure: what was expected and what was got; null when it passed. */
  message: string | null;
}

export function evaluateAssertion(assertion: AssertionDefinition, observed: TurnObservation, context: CheckContext): AssertionResult {
  const rule = RULES[assertion.check.type] as Rule<CheckType>;
  const finding = rule(assertion.check, observed, context);
  const expected = assertion.negated ? finding.expectedNot : finding.expected;
  const passed = finding.undecided === undefined && finding.holds !== assertion.negated;
  const label = `${assertion.negated ? 'not ' : ''}${assertion.check.type}`;
  const message = passed ? null : `${label}: ${finding.undecided ?? `expected ${expected}, got ${finding.got}`}`;
  return { type: assertion.check.type, negated: assertion.negated, weight: assertion.weight, passed, expected, got: finding.got, message };
}

/** The implicit check of a turn without a `status:` assertion: its run must complete. */
export function completedCheck(observed: TurnObservation, context?: CheckContext): string | null {
  return observed.status === 'completed' ? null : `status: expected the run to end completed, got ${describeStatus(observed, context)}`;
}

// ---- matching calls ----

/** Whether an expected call is met by a call made: same name, and its arguments fit. */
export function callMatches(expected: CallExpectation, made: CallMade): boolean {
  if (expected.name !== made.name) return false;
  if (expected.arguments === null && expected.argumentsSchema === null) return true;
  const parsed = parseJson(made.arguments);
  if (!parsed.ok) return false;
  if (expected.arguments !== null && !containsSubset(parsed.value, expected.arguments)) return false;
  return expected.argumentsSchema === null || jsonSchemaProblem(expected.argumentsSchema, parsed.value) === null;
}

/** `actual` has every entry of `subset`: objects recursively, anything else equal by meaning. */
export function containsSubset(actual: JsonValue, subset: JsonValue): boolean {
  if (isObject(subset)) {
    return isObject(actual) && Object.entries(subset).every(([key, value]) => Object.hasOwn(actual, key) && containsSubset(actual[key]!, value));
  }
  return canonicalJson(actual) === canonicalJson(subset);
}

/** The expected calls appear among the calls made in this order (others may come between). */
function matchInOrder(expected: readonly CallExpectation[], made: readonly CallMade[]): boolean {
  let next = 0;
  for (const call of made) if (next < expected.length && callMatches(expected[next]!, call)) next++;
  return next === expected.length;
}

/** Each expected call is met by a different call made, in any order (a bipartite matching). */
function matchAnyOrder(expected: readonly CallExpectation[], made: readonly CallMade[]): boolean {
  const takenBy = new Array<number>(made.length).fill(-1);
  const assign = (want: number, seen: boolean[]): boolean => {
    for (let index = 0; index < made.length; index++) {
      if (seen[index] || !callMatches(expected[want]!, made[index]!)) continue;
      seen[index] = true;
      if (takenBy[index] === -1 || assign(takenBy[index]!, seen)) {
        takenBy[index] = want;
        return true;
      }
    }
    return false;
  };
  return expected.every((_, want) => assign(want, new Array<boolean>(made.length).fill(false)));
}

// ---- wording ----

function quote(text: string): string {
  return JSON.stringify(text);
}

function shown(text: string, context: CheckContext | undefined): string {
  return context?.scrub === undefined ? text : context.scrub(text);
}

function describeReply(raw: string, context: CheckContext): string {
  const reply = shown(raw, context);
  if (reply === '') return 'an empty reply';
  if (reply.length <= QUOTED_CHARS) return quote(reply);
  return `${quote(`${reply.slice(0, QUOTED_CHARS)}...`)} (${reply.length} characters)`;
}

function describeStatus(observed: TurnObservation, context?: CheckContext): string {
  const error = observed.lastError === null ? '' : ` (last error: ${observed.lastError.code}: ${shown(observed.lastError.message, context)})`;
  return `${observed.status}${error}`;
}

function describeExpectedCall(call: CallExpectation): string {
  const parts = [call.arguments === null ? null : `arguments containing ${canonicalJson(call.arguments)}`, call.argumentsSchema === null ? null : 'arguments satisfying its schema'];
  const shown = parts.filter((part) => part !== null);
  return shown.length === 0 ? call.name : `${call.name} with ${shown.join(' and ')}`;
}

function describeCalls(calls: readonly CallMade[], context: CheckContext): string {
  if (calls.length === 0) return 'no function calls';
  const listed = calls.slice(0, 10).map((call) => {
    const args = shown(call.arguments, context);
    return `${call.name}(${args.length > 200 ? `${args.slice(0, 200)}...` : args})`;
  });
  return `${calls.length === 1 ? 'the call' : 'the calls'} ${listed.join(', ')}${calls.length > 10 ? ` and ${calls.length - 10} more` : ''}`;
}

function describeCitations(citations: readonly Citation[], context: CheckContext): string {
  if (citations.length === 0) return 'no citations';
  const names = new Map([...context.fileIds].map(([name, id]) => [id, name]));
  const listed = citations.slice(0, 10).map((c) => {
    const cited = shown(c.quote, context);
    return `${names.has(c.fileId) ? `"${names.get(c.fileId)}" (${c.fileId})` : c.fileId}${cited === '' ? '' : ` quoting ${quote(cited.slice(0, 80))}`}`;
  });
  return `citations of ${listed.join(', ')}`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(2)}s`;
}

// ---- helpers ----

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): { ok: true; value: JsonValue } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}

const sandbox = createContext({});

/** Whether `pattern` matches `text`, or null when it ran longer than `timeoutMs` (catastrophic backtracking). */
export function matchWithin(pattern: string, text: string, timeoutMs: number): boolean | null {
  sandbox['pattern'] = new RegExp(pattern);
  sandbox['text'] = text;
  try {
    return runInContext('pattern.test(text)', sandbox, { timeout: timeoutMs }) as boolean;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return null;
    throw error;
  } finally {
    sandbox['pattern'] = undefined;
    sandbox['text'] = undefined;
  }
}
