/**
 * Every map keyed by a user's names, with the names of Object.prototype's members as
 * keys: present ones are kept (even `__proto__`), absent ones read as absent.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assistantFromWire, createAssistantToWire } from '../src/api/mappers.js';
import { canonicalJson, stringifySorted } from '../src/canonical-json.js';
import { asDictionary, dictionary, ownEntry } from '../src/dictionary.js';
import { loadManifest } from '../src/manifest/index.js';
import { renderJson, renderText } from '../src/render/index.js';
import { checkMetadata } from '../src/server/validate.js';
import { parseState, serializeState } from '../src/state/format.js';
import { applyJournal } from '../src/state/journal.js';
import { desiredAssistant, desiredFile, desiredState, plan, stateFile, type World } from './plan/world.js';
import { created, emptyState, uploaded } from './state/sample.js';
import { call, createAssistant } from './server/http.js';
import { withServer } from './support/server.js';
import { makeTempDir } from './support/temp-dir.js';

const NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__'];
/** The ones the manifest allows as file names (`__proto__` starts with `_`). */
const FILE_NAMES = NAMES.filter((n) => n !== '__proto__');

/** An object with each name as an own key, built without ever touching a prototype. */
const withEvery = <T>(value: (name: string) => T): Record<string, T> => dictionary(NAMES.map((n) => [n, value(n)]));

describe('objects keyed by user names', () => {
  it('dictionary and ownEntry', () => {
    const d = withEvery((n) => n.length);
    expect(Object.keys(d)).toEqual(NAMES);
    expect(ownEntry({}, 'constructor')).toBeUndefined();
    expect(ownEntry(d, '__proto__')).toBe(9);
  });

  it('asDictionary makes a parsed object prototype-less in place, keeping its own __proto__ entry', () => {
    const parsed = JSON.parse('{"__proto__":1,"constructor":2}') as Record<string, number>;
    const d = asDictionary(parsed);
    expect(d).toBe(parsed);
    expect(Object.getPrototypeOf(d)).toBeNull();
    expect(Object.keys(d)).toEqual(['__proto__', 'constructor']);
    expect(d['__proto__']).toBe(1);
    expect(d['toString']).toBeUndefined();
  });

  it('canonical JSON keeps a __proto__ key and sorts it like any other', () => {
    const value = JSON.parse('{"b":1,"__proto__":{"toString":2},"constructor":3}') as unknown;
    expect(canonicalJson(value)).toBe('{"__proto__":{"toString":2},"b":1,"constructor":3}');
    expect(stringifySorted(value)).toContain('"__proto__"');
  });

  it('the indented form sorts every depth and drops undefined members, as the one-line form does', () => {
    const value = JSON.parse('{"b":[{"z":1,"a":{"y":null,"x":[2,{"d":1,"c":0}]}}],"__proto__":{"q":1,"p":2},"a":""}') as Record<string, unknown>;
    value.gone = undefined;
    const text = stringifySorted(value);
    expect(text).toBe(`${JSON.stringify(JSON.parse(canonicalJson(value)), null, 2)}\n`);
    expect(text.indexOf('"__proto__"')).toBeLessThan(text.indexOf('"a"'));
    expect(text.indexOf('"c"')).toBeLessThan(text.indexOf('"d"'));
    expect(text).not.toContain('gone');
  });

  it('the journal folds into a state whose records are named constructor, toString...', () => {
    const folded = applyJournal(emptyState(), [
      ...FILE_NAMES.map((n) => uploaded(n, `file-${n}`)),
      ...FILE_NAMES.map((n) => uploaded(n, `file-${n}-v2`)),
      created('constructor', 'asst_c'),
    ]);
    expect(Object.keys(folded.files).sort()).toEqual([...FILE_NAMES].sort());
    expect(Object.keys(folded.retiredFiles ?? {}).sort()).toEqual(FILE_NAMES.map((n) => `file-${n}`).sort());
    expect(Object.keys(folded.assistants)).toEqual(['constructor']);
    const text = serializeState(folded);
    const read = parseState(text, 'state.json');
    expect(read.assistants['toString']).toBeUndefined();
    expect(read.files['constructor']?.id).toBe('file-constructor-v2');
    expect(serializeState(read)).toBe(text);
  });

  it('the manifest loads them as assistant, file, metadata, variable and environment names', async () => {
    const { dir } = await makeTempDir('builtin-keys-');
    for (const n of FILE_NAMES) await writeFile(join(dir, `${n}.md`), n);
    await writeFile(
      join(dir, 'assistants.yaml'),
      [
        'version: 1',
        'project: p',
        'variables:',
        ...NAMES.map((n) => `  ${n}: { default: "v-${n}" }`),
        'environments:',
        '  constructor: { variables: { toString: from-env } }',
        'files:',
        ...FILE_NAMES.map((n) => `  ${n}: { path: ${n}.md }`),
        'assistants:',
        '  constructor:',
        '    model: gpt-4',
        `    name: "${NAMES.map((n) => `\${var.${n}}`).join(' ')}"`,
        '    tools: [{ type: retrieval }]',
        `    files: [${FILE_NAMES.join(', ')}]`,
        '    metadata:',
        ...NAMES.map((n) => `      "${n}": "m-${n}"`),
        '',
      ].join('\n'),
    );
    const result = await loadManifest({ file: 'assistants.yaml', cwd: dir, env: 'constructor', processEnv: {} });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const assistant = result.desired.assistants['constructor']!;
    expect(assistant.spec.name).toBe('v-constructor from-env v-hasOwnProperty v-valueOf v-__proto__');
    expect(Object.keys(assistant.spec.metadata)).toEqual(NAMES);
    expect(Object.keys(result.desired.files).sort()).toEqual([...FILE_NAMES].sort());
    expect(result.desired.assistants['toString']).toBeUndefined();
  });

  it('the planner, and the plan as JSON and text, with metadata and file names like these', () => {
    const files = FILE_NAMES.map((n) => desiredFile(n));
    const w: World = {
      desired: desiredState([desiredAssistant('constructor', { files: FILE_NAMES, spec: { metadata: withEvery((n) => `m-${n}`) } })], files),
      state: stateFile({}, {}),
      live: { assistants: [], files: [] },
    };
    const p = plan(w);
    expect(p.assistants.map((a) => [a.key, a.action])).toEqual([['constructor', 'create']]);
    expect(p.files.map((f) => f.name).sort()).toEqual([...FILE_NAMES].sort());
    const json = JSON.parse(renderJson(p)) as { assistants: Array<{ after: { metadata: Record<string, string> } }> };
    expect(Object.keys(json.assistants[0]!.after.metadata)).toEqual(['__proto__', 'assistants-iac', 'constructor', 'hasOwnProperty', 'toString', 'valueOf']);
    expect(renderText(p, { color: false })).toContain('"__proto__"      = "m-__proto__"');
  });

  it('the client keeps a __proto__ metadata key both ways', () => {
    const metadata = withEvery((n) => `m-${n}`);
    const wire = JSON.parse(JSON.stringify(createAssistantToWire({ model: 'm', metadata }))) as { metadata: object };
    expect(Object.keys(wire.metadata)).toEqual(NAMES);
    const back = assistantFromWire(JSON.parse(`{"id":"a","object":"assistant","created_at":1,"model":"m","tools":[],"file_ids":[],"metadata":${JSON.stringify(metadata)}}`));
    expect(Object.keys(back.metadata ?? {})).toEqual(NAMES);
  });

  it('the server stores, lists and persists such metadata keys', async () => {
    expect(Object.keys(checkMetadata(JSON.parse('{"__proto__":"x","constructor":"y"}')) ?? {})).toEqual(['__proto__', 'constructor']);
    const { dir } = await makeTempDir('builtin-keys-');
    const dataFile = join(dir, 'data.jsonl');
    const metadata = withEvery((n) => `m-${n}`);
    const id = await withServer({ dataFile }, async (server) => (await createAssistant(server, { model: 'gpt-4', metadata })).id);
    await withServer({ dataFile }, async (server) => {
      const listed = await call(server, 'GET', '/assistants');
      const body = listed.body as { data: Array<{ id: string; metadata: object }> };
      expect(body.data.map((a) => [a.id, Object.keys(a.metadata)])).toEqual([[id, NAMES]]);
    });
  });
});
