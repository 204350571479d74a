// Part of `npm run build`, after tsc: writes ajv's standalone code for the manifest schema
// beside dist/manifest/schema-check.js, so a CLI run neither loads nor compiles ajv for it.
import { readFileSync, writeFileSync } from 'node:fs';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createManifestAjv, MANIFEST_SCHEMA_URL, PRECOMPILED_VALIDATOR } from '../dist/manifest/schema-check.js';

const ajv = createManifestAjv({ code: { source: true } });
const validate = ajv.compile(JSON.parse(readFileSync(MANIFEST_SCHEMA_URL, 'utf8')));
const target = new URL(PRECOMPILED_VALIDATOR, new URL('../dist/manifest/schema-check.js', import.meta.url));
writeFileSync(target, standaloneCode(ajv, validate));
