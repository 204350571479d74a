/**
 * The public surface of the `assistants` package: the typed client, the local API
 * server, and the pipeline (load a manifest, plan, apply) as a library.
 */
export * from './api/index.js';
export { startServer, type RunningServer, type ServerOptions, type ServerStats } from './server/index.js';
export { loadManifest, formatDiagnostic, redactDesired } from './manifest/index.js';
export type { DesiredState, DesiredAssistant, DesiredFile } from './manifest/types.js';
export { createPlan, planHasChanges, type LiveState, type PlanInput } from './plan/planner.js';
export { readLive } from './plan/refresh.js';
export type * from './plan/types.js';
export { renderJson, renderText, renderMarkdown, renderMarkdownParts, type MarkdownOptions } from './render/index.js';
export { applyPlan, type ApplyOptions, type ApplyReport, type ProgressEvent } from './apply/executor.js';
export { createApplyApi } from './apply/api.js';
export type { HistoryEntry, StateBackend, StateHistory } from './state/backend.js';
export { LocalStateBackend } from './state/local-backend.js';
// node-postgres itself loads only when a PgStateBackend first connects.
export { PgStateBackend, type PgBackendOptions } from './state/pg/backend.js';
export { pgConnectionFromEnv, type PgConnection } from './pg-connection.js';
export type { StateFile } from './state/types.js';
export { UserError } from './errors.js';
export type { JsonObject, JsonValue } from './json.js';
