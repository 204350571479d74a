/**
 * Bad manifests, each with every error the loader must report, exactly. `kind` says
 * which layer catches them: the file itself, YAML, the shape (the JSON Schema alone
 * rejects these too, so editors and the CLI agree) or the semantic checks (which the
 * schema lets through).
 */
import { mkdir, symlink, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { mkfifo } from './fifo.js';
import { folderWith, type LoadIn } from './helpers.js';

export interface BadCase {
  kind: 'file' | 'yaml' | 'shape' | 'semantic';
  name: string;
  /** assistants.yaml; omitted when `files` or `setup` provide it. */
  manifest?: string | Buffer;
  files?: Record<string, string | Buffer>;
  setup?: (dir: string) => Promise<void>;
  load?: LoadIn;
  expected: string[];
}

/** A folder holding the case's manifest and files. */
export async function materialize(c: BadCase): Promise<string> {
  const files = { ...(c.files ?? {}) };
  if (c.manifest !== undefined) files['assistants.yaml'] = c.manifest;
  const dir = await folderWith(files);
  await c.setup?.(dir);
  return dir;
}

const OK_ASSISTANT = `assistants:
  helper:
    model: gpt-4
`;

/** `version`, `project`, then whatever follows, starting on line 3. */
const m = (rest: string): string => `version: 1\nproject: demo\n${rest}`;

export const BAD_MANIFESTS: BadCase[] = [
  // --- the file itself
  { kind: 'file', name: 'empty file', manifest: '', expected: ["assistants.yaml:1:1: the manifest is empty"] },
  { kind: 'file', name: 'only comments', manifest: '# nothing here\n# at all\n', expected: ["assistants.yaml:1:1: the manifest is empty"] },
  { kind: 'file', name: 'binary file', manifest: Buffer.from([0x76, 0x65, 0x72, 0x0a, 0x00, 0x01, 0x02]), expected: ["assistants.yaml:2:1: binary content (a NUL byte): a manifest must be UTF-8 text"] },
  { kind: 'file', name: 'invalid UTF-8', manifest: Buffer.concat([Buffer.from('version: 1\nproject: d'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]), expected: ["assistants.yaml:2:11: invalid UTF-8: a manifest must be UTF-8 text"] },
  // Sparse: 50 MB on paper, nothing on disk.
  { kind: 'file', name: 'manifest of 50 MB', setup: (dir) => truncate(join(dir, 'assistants.yaml'), 50 * 1024 * 1024), files: { 'assistants.yaml': '' }, expected: ["assistants.yaml:1:1: manifest is 50.0 MB; a manifest can be at most 10.0 MB"] },
  { kind: 'file', name: 'missing manifest', files: { 'other.yaml': 'x: 1\n' }, expected: ["assistants.yaml:1:1: manifest does not exist"] },
  { kind: 'file', name: 'manifest is a folder', files: { 'assistants.yaml/inner.txt': 'x' }, expected: ["assistants.yaml:1:1: manifest is a folder, not a file"] },
  // --- YAML
  { kind: 'yaml', name: 'unclosed quote', manifest: m(`assistants:\n  helper:\n    model: 'gpt-4\n`), expected: ["assistants.yaml:6:1: YAML syntax error: missing closing 'quote"] },
  { kind: 'yaml', name: 'tab indentation', manifest: m(`assistants:\n\thelper:\n    model: gpt-4\n`), expected: ["assistants.yaml:4:1: YAML does not allow tabs for indentation; use spaces"] },
  { kind: 'yaml', name: 'two YAML documents', manifest: m(`${OK_ASSISTANT}---\nversion: 1\n`), expected: ["assistants.yaml:6:1: the manifest must be a single YAML document; remove the \"---\" that starts a second one"] },
  { kind: 'yaml', name: 'duplicate top-level key', manifest: m(`project: again\n${OK_ASSISTANT}`), expected: ["assistants.yaml:3:1: duplicate key \"project\" (first defined on line 2)"] },
  { kind: 'yaml', name: 'duplicate assistant field', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    name: a\n    model: gpt-3.5-turbo\n`), expected: ["assistants.yaml:7:5: duplicate key \"model\" (first defined on line 5)"] },
  { kind: 'yaml', name: 'alias bomb', manifest: m(`a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n${OK_ASSISTANT}`), expected: ["assistants.yaml:7:8: aliases expand to more than 10000 values; refusing what looks like an alias bomb"] },
  { kind: 'yaml', name: 'unknown anchor', manifest: m(`assistants:\n  helper:\n    model: *model\n`), expected: ["assistants.yaml:5:12: unknown anchor \"*model\": define \"&model\" before using it"] },
  { kind: 'yaml', name: 'merge key', manifest: m(`assistants:\n  helper:\n    <<: {model: gpt-4}\n    model: gpt-4\n`), expected: ["assistants.yaml:5:5: YAML merge keys (\"<<\") are not supported; repeat the fields, or alias the whole value"] },
  { kind: 'yaml', name: 'non-string key', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    ? [a, b]\n    : c\n`), expected: ["assistants.yaml:6:7: keys must be plain strings"] },
  { kind: 'yaml', name: 'binary tag', manifest: m(`assistants:\n  helper:\n    model: !!binary aGVsbG8=\n`), expected: ["assistants.yaml:5:21: a !!binary value is not allowed here: use a string, number, true/false or null"] },
  { kind: 'yaml', name: 'infinite number', manifest: m(`assistants:\n  helper:\n    model: .inf\n`), expected: ["assistants.yaml:5:12: Infinity is not allowed here: use a string, number, true/false or null"] },
  { kind: 'yaml', name: 'nesting too deep for the parser', manifest: m(`${OK_ASSISTANT}x: ${'['.repeat(100_000)}\n`), expected: ['assistants.yaml:6:1: the manifest is nested too deeply to parse'] },
  { kind: 'yaml', name: 'nesting too deep', manifest: m(`${OK_ASSISTANT}x: ${'['.repeat(80)}${']'.repeat(80)}\n`), expected: ["assistants.yaml:6:68: nested more than 64 levels deep"] },
  // --- shape (the schema)
  { kind: 'shape', name: 'top level is a list', manifest: '- version: 1\n', expected: ["assistants.yaml:1:1: the manifest must be a mapping, not a list"] },
  { kind: 'shape', name: 'unsupported version', manifest: `version: 2\nproject: demo\n${OK_ASSISTANT}`, expected: ["assistants.yaml:1:10: version must be 1 (the only manifest version this tool reads)"] },
  { kind: 'shape', name: 'missing project and assistants', manifest: 'version: 1\n', expected: ["assistants.yaml:1:1: the manifest is missing required field \"project\"", "assistants.yaml:1:1: the manifest is missing required field \"assistants\""] },
  {
    kind: 'shape',
    name: 'credentials in the backend block',
    manifest: m(`backend:\n  type: pg\n  password: hunter2\n  conn_str: postgres://u:p@db/x\n  PGPASSWORD: x\n${OK_ASSISTANT}`),
    expected: [
      "assistants.yaml:5:13: the backend takes no credentials (the manifest is committed with the code): set PG_CONN_STR, or PGUSER and PGPASSWORD, in the environment of the command",
      "assistants.yaml:6:13: the backend takes no credentials (the manifest is committed with the code): set PG_CONN_STR, or PGUSER and PGPASSWORD, in the environment of the command",
      "assistants.yaml:7:15: the backend takes no credentials (the manifest is committed with the code): set PG_CONN_STR, or PGUSER and PGPASSWORD, in the environment of the command",
    ],
  },
  {
    kind: 'shape',
    name: 'a schema for the local backend',
    manifest: m(`backend: { type: local, schema: team }\n${OK_ASSISTANT}`),
    expected: ['assistants.yaml:3:10: schema: applies to type: pg only; the local backend keeps a file per environment beside the manifest'],
  },
  {
    kind: 'shape',
    name: 'a backend of unknown type or with a bad schema name',
    manifest: m(`backend:\n  type: s3\n  schema: Team-State\n  host: db\n${OK_ASSISTANT}`),
    expected: [
      'assistants.yaml:4:9: type "s3" is not one of: local, pg',
      'assistants.yaml:5:11: schema "Team-State" must be 1-63 lowercase letters, digits or _, not starting with a digit',
      'assistants.yaml:6:3: unknown field "host" in backend',
    ],
  },
  { kind: 'shape', name: 'project with a slash', manifest: `version: 1\nproject: acme/support\n${OK_ASSISTANT}`, expected: ["assistants.yaml:2:10: project \"acme/support\" must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit"] },
  { kind: 'shape', name: 'assistant key with capitals', manifest: m(`assistants:\n  SupportBot:\n    model: gpt-4\n`), expected: ["assistants.yaml:4:3: assistant key \"SupportBot\" must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit"] },
  { kind: 'shape', name: 'unknown top-level field', manifest: m(`assistant:\n  helper:\n    model: gpt-4\n`), expected: ["assistants.yaml:1:1: the manifest is missing required field \"assistants\"", "assistants.yaml:3:1: unknown field \"assistant\" at the top level; did you mean \"assistants\"?"] },
  { kind: 'shape', name: 'misspelt assistant field', manifest: m(`assistants:\n  helper:\n    modle: gpt-4\n`), expected: ["assistants.yaml:4:3: assistant \"helper\" is missing required field \"model\"", "assistants.yaml:5:5: unknown field \"modle\" in assistant \"helper\"; did you mean \"model\"?"] },
  { kind: 'shape', name: 'model is a number', manifest: m(`assistants:\n  helper:\n    model: 4\n`), expected: ["assistants.yaml:5:12: model must be a string, not a number; quote it: \"4\""] },
  { kind: 'shape', name: 'an assistant that is a string', manifest: m(`assistants:\n  helper: hello\n`), expected: ['assistants.yaml:4:11: assistant "helper" must be a mapping, not a string'] },
  { kind: 'shape', name: 'instructions and instructions_file', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    instructions: hi\n    instructions_file: hi.md\n`), files: { 'hi.md': 'hi' }, expected: ["assistants.yaml:5:5: set either instructions or instructions_file, not both"] },
  { kind: 'shape', name: 'misspelt tool type', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: retreival\n`), expected: ["assistants.yaml:7:15: type \"retreival\" is not one of: code_interpreter, retrieval, function; did you mean \"retrieval\"?"] },
  { kind: 'shape', name: 'function tool without function', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n`), expected: ["assistants.yaml:7:9: tools item 1 is missing required field \"function\""] },
  { kind: 'shape', name: 'retrieval tool with a function', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: retrieval\n        function: {name: f}\n`), expected: ["assistants.yaml:7:9: only a tool of type function takes a function: field"] },
  { kind: 'shape', name: 'function name with a space', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: get weather\n`), expected: ["assistants.yaml:9:17: function name \"get weather\" must be 1-64 letters, digits, _ or -"] },
  { kind: 'shape', name: 'parameters and parameters_file', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters: {type: object}\n          parameters_file: f.json\n`), files: { 'f.json': '{"type":"object"}' }, expected: ["assistants.yaml:9:11: set either parameters or parameters_file, not both"] },
  { kind: 'shape', name: '129 tools', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n${'      - type: retrieval\n'.repeat(129)}`), expected: ["assistants.yaml:7:7: tools has 129 items; at most 128 allowed"] },
  { kind: 'shape', name: 'metadata key reserved for ownership', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    metadata:\n      assistants-iac: mine\n`), expected: ["assistants.yaml:7:7: metadata key assistants-iac is reserved: this tool uses it to record ownership"] },
  { kind: 'shape', name: 'metadata with 16 keys', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    metadata:\n${Array.from({ length: 16 }, (_, i) => `      k${i}: v\n`).join('')}`), expected: ["assistants.yaml:7:7: metadata has 16 entries; at most 15 allowed (the API allows 16 and one is reserved for ownership)"] },
  { kind: 'shape', name: 'metadata key over 64 characters', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    metadata:\n      ${'k'.repeat(65)}: v\n`), expected: ["assistants.yaml:7:7: metadata key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\" is 65 characters; at most 64 allowed"] },
  { kind: 'shape', name: 'metadata value is a number', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    metadata:\n      version: 2\n`), expected: ["assistants.yaml:7:16: metadata entry \"version\" must be a string, not a number; quote it: \"2\""] },
  { kind: 'shape', name: 'file listed twice', manifest: m(`files:\n  faq: {path: faq.md}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [faq, faq]\n`), files: { 'faq.md': 'q' }, expected: ["assistants.yaml:9:18: \"faq\" is listed twice in files (also item 1)"] },
  { kind: 'shape', name: '21 files', manifest: m(`files:\n${Array.from({ length: 21 }, (_, i) => `  f${i}: {path: f.md}\n`).join('')}assistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [${Array.from({ length: 21 }, (_, i) => `f${i}`).join(', ')}]\n`), files: { 'f.md': 'x' }, expected: ["assistants.yaml:29:12: files has 21 items; at most 20 allowed"] },
  { kind: 'shape', name: 'ignore_changes names an unknown field', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    lifecycle:\n      ignore_changes: [instructions_file]\n`), expected: ["assistants.yaml:7:24: ignore_changes item 1 \"instructions_file\" is not one of: model, name, description, instructions, tools, metadata, files; did you mean \"instructions\"?"] },
  { kind: 'shape', name: 'prevent_destroy is a string', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    lifecycle:\n      prevent_destroy: "yes"\n`), expected: ["assistants.yaml:7:24: prevent_destroy must be true or false, not a string"] },
  { kind: 'shape', name: 'file without a path', manifest: m(`files:\n  faq: {}\n${OK_ASSISTANT}`), expected: ["assistants.yaml:4:3: file \"faq\" is missing required field \"path\""] },
  { kind: 'shape', name: 'environment override with an unknown field', manifest: m(`environments:\n  prod:\n    assistants:\n      helper:\n        modle: gpt-4\n${OK_ASSISTANT}`), load: { env: 'prod' }, expected: ["assistants.yaml:7:9: unknown field \"modle\" in assistant \"helper\"; did you mean \"model\"?"] },
  // --- semantics
  { kind: 'semantic', name: 'duplicate function names', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function: {name: lookup}\n      - type: function\n        function: {name: lookup}\n`), expected: ["assistants.yaml:10:26: function \"lookup\" is already defined by tools item 1; function names must be unique per assistant"] },
  { kind: 'semantic', name: 'parameters with an unknown type', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters:\n            type: object\n            properties:\n              city: {type: strng}\n`), expected: ["assistants.yaml:13:28: parameters of function \"f\" is not valid JSON Schema: \"properties.city.type\" must be one of: array, boolean, integer, null, number, object, string"] },
  { kind: 'semantic', name: 'parameters that do not describe an object', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters: {type: string}\n`), expected: ["assistants.yaml:10:30: parameters of function \"f\" must describe an object: set type to \"object\""] },
  { kind: 'semantic', name: 'parameters with a broken $ref', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters:\n            type: object\n            properties:\n              city: {$ref: "#/$defs/city"}\n`), expected: ["assistants.yaml:11:13: parameters of function \"f\" is not a usable JSON Schema: can't resolve reference #/$defs/city from id #"] },
  { kind: 'semantic', name: 'parameters_file with invalid JSON', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters_file: tools/f.json\n`), files: { 'tools/f.json': '{\n  "type": "object",\n  "properties": {},\n}\n' }, expected: ["tools/f.json:4:1: invalid JSON: Expected double-quoted property name"] },
  { kind: 'semantic', name: 'parameters_file that is not valid JSON Schema', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters_file: tools/f.json\n`), files: { 'tools/f.json': '{\n  "type": "object",\n  "required": "city"\n}\n' }, expected: ["tools/f.json:3:15: parameters of function \"f\" is not valid JSON Schema: \"required\" must be array"] },
  { kind: 'semantic', name: 'parameters_file that is a list', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters_file: f.yaml\n`), files: { 'f.yaml': '- a\n- b\n' }, expected: ["f.yaml:1:1: parameters of function \"f\" must be a JSON Schema object"] },
  { kind: 'semantic', name: 'parameters_file with the wrong extension', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters_file: f.txt\n`), files: { 'f.txt': '{}' }, expected: ["assistants.yaml:10:28: parameters_file \"f.txt\" must be a .json, .yaml or .yml file"] },
  { kind: 'semantic', name: 'missing parameters_file', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters_file: tools/nope.json\n`), expected: ["assistants.yaml:10:28: parameters_file \"tools/nope.json\" does not exist"] },
  { kind: 'semantic', name: 'missing instructions_file', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    instructions_file: prompts/helper.md\n`), expected: ["assistants.yaml:6:24: instructions_file \"prompts/helper.md\" does not exist"] },
  { kind: 'semantic', name: 'binary instructions_file', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    instructions_file: helper.md\n`), files: { 'helper.md': Buffer.from('Be kind.\nAnd \u0000brief.') }, expected: ["helper.md:2:5: binary content (a NUL byte): an instructions file must be UTF-8 text"] },
  { kind: 'semantic', name: 'instructions_file over 256,000 characters', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    instructions_file: helper.md\n`), files: { 'helper.md': `${'a'.repeat(99)}\n`.repeat(2560) + 'tail\n' }, expected: ["helper.md:2561:1: instructions are 256,005 characters; the API allows at most 256,000 (this is where the limit is passed)"] },
  { kind: 'semantic', name: 'name over 256 characters after interpolation', manifest: m(`variables:\n  suffix: {default: "${'x'.repeat(250)}"}\nassistants:\n  helper:\n    model: gpt-4\n    name: Helper ${'${var.suffix}'}\n`), expected: ["assistants.yaml:8:11: name is 257 characters; the API allows at most 256"] },
  { kind: 'semantic', name: 'description over 512 characters', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    description: ${'d'.repeat(513)}\n`), expected: ["assistants.yaml:6:18: description is 513 characters; the API allows at most 512"] },
  { kind: 'semantic', name: 'metadata value over 512 characters', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    metadata:\n      note: ${'n'.repeat(513)}\n`), expected: ["assistants.yaml:7:13: metadata \"note\" is 513 characters; the API allows at most 512"] },
  { kind: 'semantic', name: 'undeclared file', manifest: m(`files:\n  handbook: {path: handbook.md}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [handbok]\n`), files: { 'handbook.md': 'h' }, expected: ["assistants.yaml:9:13: file \"handbok\" is not declared under files; did you mean \"handbook\"?"] },
  { kind: 'semantic', name: 'missing attached file', manifest: m(`files:\n  faq: {path: docs/faq.md}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [faq]\n`), expected: ["assistants.yaml:4:15: file \"faq\" (docs/faq.md) does not exist"] },
  { kind: 'semantic', name: 'attached file outside the folder', manifest: m(`files:\n  secret: {path: ../secret.txt}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [secret]\n`), expected: ["assistants.yaml:4:18: file \"secret\" (../secret.txt) is outside the manifest's folder: move the file under it, or pass --allow-outside-paths"] },
  { kind: 'semantic', name: 'attached file through a symlink leaving the folder', manifest: m(`files:\n  passwd: {path: link.txt}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [passwd]\n`), setup: (dir) => symlink('/etc/hostname', join(dir, 'link.txt')), expected: ["assistants.yaml:4:18: file \"passwd\" (link.txt) leads outside the manifest's folder through a symbolic link: move the file under it, or pass --allow-outside-paths"] },
  { kind: 'semantic', name: 'attached file in a linked folder leaving the folder', manifest: m(`files:\n  passwd: {path: etc/hostname}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [passwd]\n`), setup: (dir) => symlink('/etc', join(dir, 'etc')), expected: ["assistants.yaml:4:18: file \"passwd\" (etc/hostname) leads outside the manifest's folder through a symbolic link: move the file under it, or pass --allow-outside-paths"] },
  { kind: 'semantic', name: 'symlink loop', manifest: m(`files:\n  loop: {path: a.txt}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [loop]\n`), setup: async (dir) => { await symlink('b.txt', join(dir, 'a.txt')); await symlink('a.txt', join(dir, 'b.txt')); }, expected: ["assistants.yaml:4:16: file \"loop\" (a.txt) is a symbolic link loop"] },
  { kind: 'semantic', name: 'attached file is a folder', manifest: m(`files:\n  docs: {path: docs}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [docs]\n`), setup: (dir) => mkdir(join(dir, 'docs')).then(() => undefined), expected: ["assistants.yaml:4:16: file \"docs\" (docs) is a folder, not a file"] },
  { kind: 'semantic', name: 'empty attached file', manifest: m(`files:\n  faq: {path: faq.md}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [faq]\n`), files: { 'faq.md': '' }, expected: ["assistants.yaml:4:15: file \"faq\" (faq.md) is empty; the API does not accept empty files"] },
  { kind: 'semantic', name: 'attached file is a FIFO', manifest: m(`files:\n  pipe: {path: pipe}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [pipe]\n`), setup: (dir) => mkfifo(join(dir, 'pipe')), expected: ["assistants.yaml:4:16: file \"pipe\" (pipe) is not a regular file"] },
  { kind: 'semantic', name: 'metadata over 15 entries once an environment merges in', manifest: m(`environments:\n  prod:\n    assistants:\n      helper:\n        metadata: {${Array.from({ length: 8 }, (_, i) => `p${i}: v`).join(', ')}}\nassistants:\n  helper:\n    model: gpt-4\n    metadata: {${Array.from({ length: 8 }, (_, i) => `b${i}: v`).join(', ')}}\n`), load: { env: 'prod' }, expected: ["assistants.yaml:11:5: metadata has 16 entries with the environment's merged in; at most 15 allowed (the API allows 16 and one is reserved for ownership)"] },
  // --- variables, interpolation, environments
  { kind: 'semantic', name: 'undefined variable', manifest: m(`variables:\n  model: {default: gpt-4}\nassistants:\n  helper:\n    model: \${var.modle}\n`), expected: ["assistants.yaml:7:12: undefined variable \"modle\" (not declared under variables); did you mean \"model\"?"] },
  { kind: 'semantic', name: 'process environment read directly', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    name: Helper for \${env.TEAM_NAME}\n`), load: { processEnv: { TEAM_NAME: 'care' } }, expected: ["assistants.yaml:6:22: \"${env.TEAM_NAME}\" reads the process environment; a manifest reads it only through a declared variable: declare one under variables: (sensitive: true for a secret), write ${var.NAME} here, and set ASSISTANTS_VAR_NAME"] },
  { kind: 'semantic', name: 'variable named like a secret, not sensitive', manifest: m(`variables:\n  support_token: {}\nassistants:\n  helper:\n    model: gpt-4\n    name: \${var.support_token}\n`), load: { processEnv: { ASSISTANTS_VAR_support_token: 'x' } }, expected: ["assistants.yaml:4:3: variable \"support_token\" is named like a secret (\"token\"): declare it sensitive: true so its value is shown as (sensitive) and kept out of plans and state"] },
  { kind: 'semantic', name: 'sensitive variable in a path', manifest: m(`variables:\n  folder: {sensitive: true, default: prompts}\nassistants:\n  helper:\n    model: gpt-4\n    instructions_file: \${var.folder}/helper.md\n`), expected: ["assistants.yaml:8:24: instructions_file uses a sensitive variable; a path is shown in plans, so it cannot hold a secret"] },
  { kind: 'semantic', name: 'unknown interpolation', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    name: "Helper \${project}"\n`), expected: ["assistants.yaml:6:19: cannot interpolate \"${project}\": use ${var.NAME} or ${environment}; write $${ for a literal ${"] },
  { kind: 'semantic', name: 'unclosed interpolation', manifest: m(`assistants:\n  helper:\n    model: gpt-4\n    name: Helper \${var.x\n`), expected: ["assistants.yaml:6:18: unclosed \"${\": add the closing \"}\" (use ${var.NAME} or ${environment}; write $${ for a literal ${)"] },
  { kind: 'semantic', name: 'variable without a value', manifest: m(`variables:\n  model: {description: which model}\nenvironments:\n  dev: {}\nassistants:\n  helper:\n    model: \${var.model}\n`), load: { env: 'dev' }, expected: ["assistants.yaml:4:3: variable \"model\" has no value in environment \"dev\": give it a default, set it under the environment's variables:, pass --var model=VALUE or set ASSISTANTS_VAR_model"] },
  { kind: 'semantic', name: 'variable using a variable', manifest: m(`variables:\n  a: {default: x}\n  b: {default: "\${var.a}"}\nassistants:\n  helper:\n    model: \${var.b}\n`), expected: ["assistants.yaml:5:17: a variable's value cannot use \"${var.a}\": only ${environment} is allowed here"] },
  { kind: 'semantic', name: 'model empty after interpolation', manifest: m(`variables:\n  model: {}\nassistants:\n  helper:\n    model: \${var.model}\n`), load: { processEnv: { ASSISTANTS_VAR_model: '' } }, expected: ["assistants.yaml:7:12: model is empty after interpolation"] },
  { kind: 'semantic', name: 'unknown --env', manifest: m(`environments:\n  dev: {}\n  prod: {}\n${OK_ASSISTANT}`), load: { env: 'prd' }, expected: ["assistants.yaml:3:1: unknown environment \"prd\"; this manifest declares \"dev\", \"prod\"; did you mean \"prod\"?"] },
  { kind: 'semantic', name: '--env without environments', manifest: m(OK_ASSISTANT), load: { env: 'prod' }, expected: ["assistants.yaml:1:1: unknown environment \"prod\": this manifest declares no environments:, so its only environment is \"default\""] },
  { kind: 'semantic', name: 'environments but no --env and no default', manifest: m(`environments:\n  dev: {}\n  prod: {}\n${OK_ASSISTANT}`), expected: ["assistants.yaml:3:1: choose an environment with --env: this manifest declares \"dev\", \"prod\""] },
  { kind: 'semantic', name: 'override of an undeclared assistant', manifest: m(`environments:\n  prod:\n    assistants:\n      helpr:\n        model: gpt-4\n${OK_ASSISTANT}`), load: { env: 'prod' }, expected: ["assistants.yaml:6:7: environment \"prod\" sets assistant \"helpr\", which is not declared under the top-level assistants; did you mean \"helper\"?"] },
  { kind: 'semantic', name: 'environment sets an undeclared variable', manifest: m(`environments:\n  prod:\n    variables:\n      modle: gpt-4\n${OK_ASSISTANT}`), load: { env: 'prod' }, expected: ["assistants.yaml:6:7: environment \"prod\" sets variable \"modle\", which is not declared under the top-level variables"] },
  // --- many problems at once
  { kind: 'shape', name: 'every problem at once', manifest: m(`assistants:\n  helper:\n    modle: gpt-4\n    name: \${var.nme}\n    instructions_file: missing.md\n`), expected: ["assistants.yaml:4:3: assistant \"helper\" is missing required field \"model\"", "assistants.yaml:5:5: unknown field \"modle\" in assistant \"helper\"; did you mean \"model\"?", "assistants.yaml:6:11: undefined variable \"nme\" (not declared under variables)", "assistants.yaml:7:24: instructions_file \"missing.md\" does not exist"] },
];
