// Regenerates test/fixtures/openapi-v1-responses.json (the Assistants answers) and
// test/fixtures/openapi-chat-completions.json (what a Chat Completions upstream is sent and
// answers) from the reference spec in docs/reference/: node scripts/extract-openapi-fixture.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
const spec = parse(readFileSync(new URL('../docs/reference/openai-openapi-assistants-v1.yaml', import.meta.url), 'utf8'));
const wanted = (path) => /^\/(assistants|threads|files)/.test(path);
const operations = {};
// The error body, and the stream events of stream: true (not an operation's 200 schema).
const roots = new Set(['ErrorResponse', 'AssistantStreamEvent']);
for (const [path, item] of Object.entries(spec.paths)) {
  if (!wanted(path)) continue;
  for (const [method, op] of Object.entries(item)) {
    const schema = op?.responses?.['200']?.content?.['application/json']?.schema;
    const ref = schema?.$ref?.replace('#/components/schemas/', '');
    if (!ref) continue;
    operations[`${method.toUpperCase()} ${path}`] = { operationId: op.operationId, response: ref };
    roots.add(ref);
  }
}
const SOURCE = 'openai/openai-openapi openapi.yaml at commit 215c8af3208224b70910ce2cf8e0e45635d5713b (MIT, Copyright (c) OpenAI)';
/** The named schemas and every component they reference, unmodified. */
const extract = (names) => {
  const schemas = {};
  const visit = (name) => {
    if (schemas[name]) return;
    const s = spec.components.schemas[name];
    if (!s) throw new Error(`missing ${name}`);
    schemas[name] = s;
    JSON.stringify(s, (k, v) => { if (k === '$ref' && typeof v === 'string') visit(v.replace('#/components/schemas/', '')); return v; });
  };
  for (const name of names) visit(name);
  return schemas;
};
const schemas = extract(roots);
const out = {
  source: `${SOURCE}: the 200 response schema of each assistants/threads/files operation, ErrorResponse and AssistantStreamEvent, and the components they reference, unmodified.`,
  operations,
  schemas,
};
writeFileSync(new URL('../test/fixtures/openapi-v1-responses.json', import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log(`${Object.keys(operations).length} operations, ${Object.keys(schemas).length} schemas`);
const chatSchemas = extract(['CreateChatCompletionRequest', 'CreateChatCompletionResponse', 'CreateChatCompletionStreamResponse', 'ErrorResponse']);
const chat = {
  source: `${SOURCE}: CreateChatCompletionRequest (what POST /chat/completions takes), CreateChatCompletionResponse and CreateChatCompletionStreamResponse (its answers, whole and streamed), ErrorResponse, and the components they reference, unmodified.`,
  schemas: chatSchemas,
};
writeFileSync(new URL('../test/fixtures/openapi-chat-completions.json', import.meta.url), JSON.stringify(chat, null, 1) + '\n');
console.log(`chat completions: ${Object.keys(chatSchemas).length} schemas`);
