// Part of `npm run build`, after tsc: writes ajv's standalone code for each document schema
// (the manifest, test files) beside dist/manifest/schema-check.js, and for each schema the
// CLI validates at run time (state, journal entries, saved plans: PRECOMPILED) under
// dist/schema-validators/, so a CLI run neither loads nor compiles ajv for them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createManifestAjv, DOCUMENT_SCHEMAS, documentValidator } from '../dist/manifest/schema-check.js';
import { PRECOMPILED, precompiledPath, schemaAjv } from '../dist/schema-file.js';

const here = new URL('../dist/manifest/schema-check.js', import.meta.url);
for (const schema of DOCUMENT_SCHEMAS) {
  const ajv = createManifestAjv({ code: { source: true } });
  writeFileSync(new URL(schema.precompiled, here), standaloneCode(ajv, documentValidator(ajv, schema)));
}

// ajv's code template tag: the precompiled code requires ajv-formats' formats (not ajv) at run time.
const { _ } = createRequire(import.meta.url)('ajv/dist/2020.js');
const schemaFile = new URL('../dist/schema-file.js', import.meta.url);
mkdirSync(new URL('./schema-validators/', schemaFile), { recursive: true });
for (const { fileName, fragment } of PRECOMPILED) {
  const { ajv, validator } = schemaAjv(fileName, { code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` } });
  writeFileSync(new URL(precompiledPath(fileName, fragment), schemaFile), standaloneCode(ajv, validator(fragment)));
}
