// Part of `npm run build`, after tsc: writes ajv's standalone code for each document schema
// (the manifest, test files) beside dist/manifest/schema-check.js, so a CLI run neither
// loads nor compiles ajv for them.
import { writeFileSync } from 'node:fs';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createManifestAjv, DOCUMENT_SCHEMAS, documentValidator } from '../dist/manifest/schema-check.js';

const here = new URL('../dist/manifest/schema-check.js', import.meta.url);
for (const schema of DOCUMENT_SCHEMAS) {
  const ajv = createManifestAjv({ code: { source: true } });
  writeFileSync(new URL(schema.precompiled, here), standaloneCode(ajv, documentValidator(ajv, schema)));
}
