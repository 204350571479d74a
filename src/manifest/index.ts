/** The manifest module's public face: load a manifest, and show its diagnostics. */
export { checkManifest, loadManifest, readManifest, resolveManifest, type CheckedManifest, type CheckResult, type LoadOptions, type LoadResult, type ParsedManifest } from './load.js';
export { formatDiagnostic, displayPath, type ManifestDiagnostic } from './diagnostics.js';
export { redactDesired, type DesiredHeader } from './desired.js';
export { FileHashCache } from './file-hash-cache.js';
export { readManifestHeader, type HeaderResult, type ManifestHeader } from './header.js';
export { loadTests, type TestsResult } from './tests.js';
export type * from './types.js';
export type * from './test-types.js';
export { ENVIRONMENT_SPECIFIC, PROMOTABLE_FIELDS, type PromotableContent, type PromotableField } from './promotable.js';
