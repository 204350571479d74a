/**
 * Behaviour tests as the loader reads them: the manifest's tests: section and *.test.yaml
 * beside it, every problem at its line and column, nothing else read.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadTests, readManifest, resolveManifest, type TestDefinition } from '../../src/manifest/index.js';
import { folderWith } from './helpers.js';

const MANIFEST = `version: 1
project: shop
environments:
  staging: {}
  prod: {}
files:
  faq: { path: faq.md }
  spare: { path: spare.md }
assistants:
  support:
    model: gpt-4
    tools:
      - type: retrieval
      - type: function
        function: { name: lookup_order }
    files: [faq]
`;

async function load(files: Record<string, string>, env = 'staging'): Promise<{ tests: TestDefinition[]; problems: string[] }> {
  const dir = await folderWith({ 'faq.md': '# FAQ\n', 'spare.md': 'spare\n', ...files });
  const read = await readManifest({ file: 'assistants.yaml', cwd: dir });
  if (!read.ok) return { tests: [], problems: read.errors.map((d) => formatDiagnostic(d, dir)) };
  const desired = await resolveManifest(read.manifest, { file: 'assistants.yaml', cwd: dir, env, processEnv: {} });
  if (!desired.ok) return { tests: [], problems: desired.errors.map((d) => formatDiagnostic(d, dir)) };
  const manifestProblems = read.manifest.errors.map((d) => formatDiagnostic(d, dir));
  const result = await loadTests(read.manifest, desired.desired);
  return result.ok ? { tests: result.tests, problems: manifestProblems } : { tests: [], problems: [...manifestProblems, ...result.errors.map((d) => formatDiagnostic(d, dir))] };
}

describe('loading behaviour tests', () => {
  it('reads the tests: section and *.test.yaml files into plain data, stubs as the text submitted', async () => {
    const { tests, problems } = await load({
      'assistants.yaml': `${MANIFEST}tests:\n  inline:\n    assistant: support\n    turns:\n      - user: hi\n`,
      'orders.test.yaml': `version: 1
tests:
  order-status:
    assistant: support
    threshold: 0.5
    turns:
      - user: Where is order 42? Call lookup_order.
        files: [faq]
        run: { additional_instructions: Be brief., tool_choice: auto }
        tool_outputs:
          lookup_order: { status: shipped }
        assert:
          - calls: { name: lookup_order, arguments: { id: "42" } }
          - contains: shipped
            not: true
            weight: 2
          - max_latency: 1.5s
  prod-only:
    assistant: support
    environments: [prod]
    turns: [{ user: hi }]
`,
    });
    expect(problems).toEqual([]);
    expect(tests.map((t) => t.name)).toEqual(['inline', 'order-status']);
    const [, orders] = tests;
    expect(orders).toMatchObject({
      assistant: 'support',
      threshold: 0.5,
      source: { line: 3, column: 3 },
      turns: [
        {
          files: ['faq'],
          run: { additionalInstructions: 'Be brief.', toolChoice: 'auto' },
          toolOutputs: { kind: 'by-name', functions: { lookup_order: { always: '{"status":"shipped"}' } } },
          assertions: [
            { check: { type: 'calls', calls: [{ name: 'lookup_order', arguments: { id: '42' }, argumentsSchema: null }], order: 'in_order' }, negated: false, weight: 1 },
            { check: { type: 'contains', text: 'shipped' }, negated: true, weight: 2, source: { line: 14, column: 13 } },
            { check: { type: 'max_latency', ms: 1500, written: '1.5s' } },
          ],
        },
      ],
    });
    expect((await load({ 'assistants.yaml': MANIFEST, 'a.test.yaml': 'version: 1\ntests:\n  p:\n    assistant: support\n    environments: [prod]\n    turns: [{ user: hi }]\n' }, 'prod')).tests.map((t) => t.name)).toEqual(['p']);
  });

  it('reports what does not fit the manifest, each at its position, all at once', async () => {
    const { problems } = await load({
      'assistants.yaml': MANIFEST,
      'bad.test.yaml': `version: 1
tests:
  unknown-key:
    assistant: suport
    turns: [{ user: hi }]
  references:
    assistant: support
    environments: [staging, qa]
    turns:
      - user: hi
        files: [faq, spare, nope]
        tool_outputs: { lookup_ordr: x }
        assert:
          - calls: get_weather
          - cites: { file: spare }
          - contains: a
            equals: b
          - {}
          - matches: "(unclosed"
          - json_schema: { type: nope }
          - order: any
            calls: lookup_order
`,
    });
    expect(problems).toEqual([
      'bad.test.yaml:4:16: test "unknown-key": no assistant "suport" in the manifest (keys: support); did you mean "support"?',
      'bad.test.yaml:8:29: unknown environment "qa": this manifest declares "staging", "prod"',
      'bad.test.yaml:11:22: file "spare" is not uploaded in environment "staging": only files an assistant attaches are; attach it to one',
      'bad.test.yaml:11:29: file "nope" is not declared under files',
      'bad.test.yaml:12:25: assistant "support" has no function "lookup_ordr" in this turn (its functions: lookup_order); did you mean "lookup_order"?',
      'bad.test.yaml:14:20: assistant "support" has no function "get_weather" in this turn (its functions: lookup_order)',
      'bad.test.yaml:15:28: file "spare" is not uploaded in environment "staging": only files an assistant attaches are; attach it to one',
      'bad.test.yaml:16:13: one check per assertion: this one has contains and equals; write them as separate list items',
      expect.stringMatching(/^bad\.test\.yaml:18:13: an assertion needs a check: one of status, contains, /),
      expect.stringMatching(/^bad\.test\.yaml:19:22: matches: not a regular expression: /),
      expect.stringMatching(/^bad\.test\.yaml:20:34: json_schema is not valid JSON Schema: /),
      'bad.test.yaml:21:13: order applies to a list of calls under calls:',
    ]);
  });

  it('says which form a value can take, or what is wrong with the form it took', async () => {
    const { problems } = await load({
      'assistants.yaml': MANIFEST,
      'shape.test.yaml': `version: 1
tests:
  Shape:
    assistant: support
    turns:
      - user: ""
        tool_outputs: 3
        assert:
          - calls: { name: lookup_order, argument: {} }
          - cites: 7
          - is_json: false
          - max_latency: soon
`,
    });
    expect(problems).toEqual([
      'shape.test.yaml:3:3: test name "Shape" must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit',
      'shape.test.yaml:6:15: user must not be empty',
      'shape.test.yaml:7:23: tool_outputs must be a mapping of function name to output, or a list of outputs in call order',
      'shape.test.yaml:9:42: unknown field "argument" in calls; did you mean "arguments"?',
      'shape.test.yaml:10:20: cites must be a file name under files:, or {file, quote}',
      'shape.test.yaml:11:22: is_json takes only true; to check that the reply is not JSON, add not: true',
      'shape.test.yaml:12:26: max_latency "soon" must be a duration such as 800ms, 5s or 1m',
    ]);
  });

  it('refuses a test name used twice, and a tests: section of the wrong shape with the manifest', async () => {
    const twice = await load({
      'assistants.yaml': `${MANIFEST}tests:\n  same:\n    assistant: support\n    turns: [{ user: hi }]\n`,
      'b.test.yaml': 'version: 1\ntests:\n  same:\n    assistant: support\n    turns: [{ user: hi }]\n',
    });
    expect(twice.problems).toEqual(['b.test.yaml:3:3: test "same" is already defined at assistants.yaml:18:3; test names must be unique']);
    const shape = await load({ 'assistants.yaml': `${MANIFEST}tests:\n  t:\n    assistant: support\n    turns: []\n` });
    expect(shape.problems).toEqual(['assistants.yaml:20:12: turns has 0 items; at least 1 required']);
  });
});
