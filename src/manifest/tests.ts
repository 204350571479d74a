/**
 * Behaviour tests: the manifest's `tests:` section and `*.test.yaml` files beside it, read
 * with the manifest's YAML-with-positions, checked against schemas/tests.schema.json, then
 * against the manifest of one environment (assistant keys, environments, files, function
 * names, regular expressions, JSON Schemas), every problem at its line and column.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AssistantTool } from '../assistant-fields.js';
import type { JsonObject, JsonValue } from '../json.js';
import { dictionary } from '../dictionary.js';
import { sortDiagnostics, type ManifestDiagnostic } from './diagnostics.js';
import { DEFAULT_ENVIRONMENT } from '../default-environment.js';
import { MAX_MANIFEST_BYTES, type ParsedManifest } from './load.js';
import { checkParametersSchema } from './parameters-schema.js';
import { childPointer } from './pointer.js';
import { checkSchema, TESTS_SCHEMA } from './schema-check.js';
import { diagnosticAt, makeSourceFile, readSourceFile } from './source-file.js';
import { didYouMean } from './suggest.js';
import type {
  AssertionDefinition,
  CallExpectation,
  Check,
  RunOverrides,
  TestDefinition,
  ToolOutputStubs,
  TurnDefinition,
} from './test-types.js';
import { diagnosticFor, entriesOf, isRecord, originOf, valueAt, type Tree } from './tree.js';
import type { DesiredState, SourcePosition } from './types.js';
import { parseYamlTree } from './yaml-tree.js';

/** Where tests are written: a parsed document and the pointer of its tests map. */
export interface TestSource {
  tree: Tree;
  /** `/tests` in the manifest and in a test file alike. */
  pointer: string;
}

/** `*.test.yaml` (or `.yml`) in the manifest's folder belong to it. */
export const TEST_FILE_PATTERN = /\.test\.ya?ml$/;

/** The checks an assertion may name, one per assertion. */
export const CHECK_KEYS = [
  'status',
  'contains',
  'icontains',
  'not_contains',
  'equals',
  'starts_with',
  'matches',
  'is_json',
  'json_schema',
  'calls',
  'no_calls',
  'cites',
  'max_tokens',
  'max_latency',
] as const;

export type TestsResult = { ok: true; tests: TestDefinition[] } | { ok: false; errors: ManifestDiagnostic[] };

/**
 * The tests of a manifest that apply to `desired`'s environment, or every problem found.
 * Tests limited to other environments are left out (and checked only for shape).
 */
export async function loadTests(manifest: ParsedManifest, desired: DesiredState): Promise<TestsResult> {
  const read = await readTestSources(manifest);
  const resolved = resolveTests(read.sources, manifest, desired);
  const errors = sortDiagnostics([...read.errors, ...resolved.errors]);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, tests: resolved.tests };
}

/**
 * The manifest's own tests section (its shape is checked with the manifest) and every test
 * file beside it, parsed and shape-checked. A source with shape problems is not returned.
 */
export async function readTestSources(manifest: ParsedManifest): Promise<{ sources: TestSource[]; errors: ManifestDiagnostic[] }> {
  const sources: TestSource[] = [];
  const errors: ManifestDiagnostic[] = [];
  const own = isRecord(manifest.tree.value) ? manifest.tree.value.tests : undefined;
  if (own !== undefined && !manifest.errors.some((d) => d.path?.startsWith('/tests') === true)) sources.push({ tree: manifest.tree, pointer: '/tests' });
  const folder = dirname(manifest.source.path);
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => TEST_FILE_PATTERN.test(name)).sort();
  } catch {
    names = [];
  }
  for (const name of names) {
    const path = join(folder, name);
    const read = await readSourceFile(path, { maxBytes: MAX_MANIFEST_BYTES, what: 'a test file' });
    if (!read.ok) {
      errors.push(read.kind === 'content' ? read.diagnostic : diagnosticAt(makeSourceFile(path, ''), 0, `test file ${read.message}`));
      continue;
    }
    const parsed = parseYamlTree(read.file, 'the test file');
    if (!parsed.ok) {
      errors.push(...parsed.errors);
      continue;
    }
    const shape = checkSchema(parsed.tree, TESTS_SCHEMA);
    if (shape.length > 0) errors.push(...shape);
    else sources.push({ tree: parsed.tree, pointer: '/tests' });
  }
  return { sources, errors };
}

/** The sources' tests for `desired`'s environment, checked against it. */
export function resolveTests(sources: readonly TestSource[], manifest: ParsedManifest, desired: DesiredState): { tests: TestDefinition[]; errors: ManifestDiagnostic[] } {
  const tests: TestDefinition[] = [];
  const errors: ManifestDiagnostic[] = [];
  const seen = dictionary<SourcePosition>();
  const environments = manifest.environments.length > 0 ? manifest.environments : [DEFAULT_ENVIRONMENT];
  const root = isRecord(manifest.tree.value) ? manifest.tree.value : {};
  const declaredFiles = entriesOf(root.files).map(([name]) => name);
  for (const source of sources) {
    for (const [name, raw] of entriesOf(valueAt(source.tree.value, source.pointer))) {
      const at = childPointer(source.pointer, name);
      const position = positionOf(source.tree, at, 'key');
      const first = seen[name];
      if (first !== undefined) {
        errors.push(diagnosticFor(source.tree, at, `test "${name}" is already defined at ${basename(first.file)}:${first.line}:${first.column}; test names must be unique`, 'key'));
        continue;
      }
      seen[name] = position;
      if (!isRecord(raw)) continue;
      const reader = new TestReader(source.tree, at, desired, declaredFiles, errors);
      const envs = Array.isArray(raw.environments) ? raw.environments.filter((e): e is string => typeof e === 'string') : null;
      for (const [index, env] of (envs ?? []).entries()) {
        if (environments.includes(env)) continue;
        const declared = manifest.environments.length > 0 ? `this manifest declares ${environments.map((e) => `"${e}"`).join(', ')}` : `this manifest declares no environments:, so its only environment is "${DEFAULT_ENVIRONMENT}"`;
        errors.push(diagnosticFor(source.tree, childPointer(childPointer(at, 'environments'), index), `unknown environment "${env}": ${declared}${didYouMean(env, environments)}`));
      }
      if (envs !== null && !envs.includes(desired.environment)) continue;
      const test = reader.test(name, raw, position);
      if (test !== null) tests.push(test);
    }
  }
  return { tests, errors };
}

/** Reads one test (shape already checked), reporting what does not fit the manifest. */
class TestReader {
  constructor(
    private readonly tree: Tree,
    private readonly at: string,
    private readonly desired: DesiredState,
    private readonly declaredFiles: readonly string[],
    private readonly errors: ManifestDiagnostic[],
  ) {}

  private fail(pointer: string, message: string, at: 'value' | 'key' = 'value'): void {
    this.errors.push(diagnosticFor(this.tree, pointer, message, at));
  }

  test(name: string, raw: { [key: string]: JsonValue }, source: SourcePosition): TestDefinition | null {
    const key = raw.assistant as string;
    const keys = Object.keys(this.desired.assistants);
    const assistant = Object.hasOwn(this.desired.assistants, key) ? this.desired.assistants[key] : undefined;
    if (assistant === undefined) {
      this.fail(childPointer(this.at, 'assistant'), `test "${name}": no assistant "${key}" in the manifest (${keys.length > 0 ? `keys: ${keys.sort().join(', ')}` : 'it declares none'})${didYouMean(key, keys)}`);
      return null;
    }
    const before = this.errors.length;
    const functions = functionNames(assistant.spec.tools);
    const turns = (raw.turns as JsonValue[]).map((turn, index) => this.turn(childPointer(childPointer(this.at, 'turns'), index), turn as { [key: string]: JsonValue }, key, functions));
    if (this.errors.length > before) return null;
    return {
      name,
      description: typeof raw.description === 'string' ? raw.description : null,
      assistant: key,
      threshold: typeof raw.threshold === 'number' ? raw.threshold : 1,
      turns,
      source,
    };
  }

  private turn(at: string, raw: { [key: string]: JsonValue }, assistant: string, assistantFunctions: readonly string[]): TurnDefinition {
    const run = isRecord(raw.run) ? runOverrides(raw.run) : {};
    // A turn may call what the assistant has, and what its run adds.
    const functions = [...assistantFunctions, ...functionNames(run.tools ?? [])];
    const files = Array.isArray(raw.files) ? (raw.files as string[]) : [];
    files.forEach((file, index) => this.checkFile(childPointer(childPointer(at, 'files'), index), file));
    const toolOutputs = stubs(raw.tool_outputs);
    if (toolOutputs.kind === 'by-name') {
      for (const name of Object.keys(toolOutputs.functions)) {
        if (!functions.includes(name)) this.fail(childPointer(childPointer(at, 'tool_outputs'), name), this.noFunction(assistant, name, functions), 'key');
      }
    }
    const assertions = (Array.isArray(raw.assert) ? raw.assert : []).flatMap((item, index) => {
      const assertion = this.assertion(childPointer(childPointer(at, 'assert'), index), item as { [key: string]: JsonValue }, assistant, functions);
      return assertion === null ? [] : [assertion];
    });
    return { user: raw.user as string, files, run, toolOutputs, assertions };
  }

  private noFunction(assistant: string, name: string, functions: readonly string[]): string {
    const known = functions.length > 0 ? `its functions: ${functions.join(', ')}` : 'it has no function tools';
    return `assistant "${assistant}" has no function "${name}" in this turn (${known})${didYouMean(name, functions)}`;
  }

  /** A manifest file a test uses must be uploaded in this environment: declared and attached. */
  private checkFile(pointer: string, name: string): void {
    if (Object.hasOwn(this.desired.files, name)) return;
    if (!this.declaredFiles.includes(name)) {
      this.fail(pointer, `file "${name}" is not declared under files${didYouMean(name, this.declaredFiles)}`);
      return;
    }
    this.fail(pointer, `file "${name}" is not uploaded in environment "${this.desired.environment}": only files an assistant attaches are; attach it to one`);
  }

  private assertion(at: string, raw: { [key: string]: JsonValue }, assistant: string, functions: readonly string[]): AssertionDefinition | null {
    const named = CHECK_KEYS.filter((key) => Object.hasOwn(raw, key));
    if (named.length !== 1) {
      const message =
        named.length === 0
          ? `an assertion needs a check: one of ${CHECK_KEYS.join(', ')}`
          : `one check per assertion: this one has ${named.join(' and ')}; write them as separate list items`;
      this.fail(at, message, named.length === 0 ? 'value' : 'key');
      return null;
    }
    const type = named[0]!;
    const value = raw[type] as JsonValue;
    const valueAt = childPointer(at, type);
    if (raw.order !== undefined && !(type === 'calls' && Array.isArray(value))) {
      this.fail(childPointer(at, 'order'), 'order applies to a list of calls under calls:', 'key');
    }
    const check = this.check(type, value, valueAt, raw, assistant, functions);
    if (check === null) return null;
    return {
      check,
      negated: raw.not === true,
      weight: typeof raw.weight === 'number' ? raw.weight : 1,
      source: positionOf(this.tree, valueAt, 'key'),
    };
  }

  private check(type: (typeof CHECK_KEYS)[number], value: JsonValue, at: string, raw: { [key: string]: JsonValue }, assistant: string, functions: readonly string[]): Check | null {
    switch (type) {
      case 'status':
        return { type, status: value as Extract<Check, { type: 'status' }>['status'] };
      case 'contains':
      case 'icontains':
      case 'not_contains':
      case 'equals':
      case 'starts_with':
        return { type, text: value as string };
      case 'matches': {
        try {
          new RegExp(value as string);
        } catch (error) {
          this.fail(at, `matches: not a regular expression: ${(error as Error).message}`);
          return null;
        }
        return { type, pattern: value as string };
      }
      case 'is_json':
        return { type };
      case 'json_schema': {
        const problems = checkParametersSchema(this.tree, at, 'json_schema', { describesObject: false });
        this.errors.push(...problems);
        return problems.length > 0 ? null : { type, schema: value };
      }
      case 'calls': {
        const list = Array.isArray(value) ? value : [value];
        const calls = list.map((call, index) => this.call(Array.isArray(value) ? childPointer(at, index) : at, call, assistant, functions));
        if (calls.some((call) => call === null)) return null;
        return { type, calls: calls as CallExpectation[], order: raw.order === 'any' ? 'any' : 'in_order' };
      }
      case 'no_calls': {
        if (value === true) return { type, names: null };
        const names = value as string[];
        names.forEach((name, index) => {
          if (!functions.includes(name)) this.fail(childPointer(at, index), this.noFunction(assistant, name, functions));
        });
        return { type, names };
      }
      case 'cites': {
        const file = typeof value === 'string' ? value : ((value as JsonObject).file as string);
        const quote = isRecord(value) && typeof value.quote === 'string' ? value.quote : null;
        const before = this.errors.length;
        this.checkFile(typeof value === 'string' ? at : childPointer(at, 'file'), file);
        return this.errors.length > before ? null : { type, file, quote };
      }
      case 'max_tokens':
        return { type, tokens: value as number };
      case 'max_latency':
        return { type, ms: durationMs(value as string), written: value as string };
    }
  }

  private call(at: string, raw: JsonValue, assistant: string, functions: readonly string[]): CallExpectation | null {
    const spec = typeof raw === 'string' ? { name: raw } : (raw as JsonObject);
    const name = spec.name as string;
    if (!functions.includes(name)) {
      this.fail(typeof raw === 'string' ? at : childPointer(at, 'name'), this.noFunction(assistant, name, functions));
      return null;
    }
    if (isRecord(spec.arguments_schema)) {
      const problems = checkParametersSchema(this.tree, childPointer(at, 'arguments_schema'), `arguments_schema of ${name}`);
      if (problems.length > 0) {
        this.errors.push(...problems);
        return null;
      }
    }
    return {
      name,
      arguments: isRecord(spec.arguments) ? spec.arguments : null,
      argumentsSchema: isRecord(spec.arguments_schema) ? spec.arguments_schema : null,
    };
  }
}

function positionOf(tree: Tree, pointer: string, at: 'value' | 'key'): SourcePosition {
  const { file, line, column } = diagnosticFor(tree, pointer, '', at);
  return { file: file || (originOf(tree, '')?.source.path ?? ''), line, column };
}

function functionNames(tools: readonly AssistantTool[]): string[] {
  return tools.flatMap((tool) => (tool.type === 'function' ? [tool.function.name] : []));
}

function runOverrides(raw: { [key: string]: JsonValue }): RunOverrides {
  const run: RunOverrides = {};
  if (typeof raw.model === 'string') run.model = raw.model;
  if (typeof raw.instructions === 'string') run.instructions = raw.instructions;
  if (typeof raw.additional_instructions === 'string') run.additionalInstructions = raw.additional_instructions;
  if (Array.isArray(raw.tools)) run.tools = raw.tools as unknown as AssistantTool[];
  if (raw.tool_choice !== undefined) run.toolChoice = raw.tool_choice as RunOverrides['toolChoice'];
  if (raw.response_format !== undefined) run.responseFormat = raw.response_format as RunOverrides['responseFormat'];
  return run;
}

/** What is submitted for a stub: a string as written, anything else as JSON. */
function outputText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function stubs(raw: JsonValue | undefined): ToolOutputStubs {
  if (Array.isArray(raw)) return { kind: 'in-order', outputs: raw.map(outputText) };
  const functions = dictionary<{ always: string } | { perCall: string[] }>();
  for (const [name, value] of entriesOf(raw)) {
    functions[name] = Array.isArray(value) ? { perCall: value.map(outputText) } : { always: outputText(value) };
  }
  return { kind: 'by-name', functions };
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000 };

/** "800ms", "5s", "1.5m" (the schema's pattern) in milliseconds. */
function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  return match === null ? 0 : Math.round(Number(match[1]) * (UNIT_MS[match[2]!] ?? 1));
}
