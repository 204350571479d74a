/** The public surface of the client. Internal modules (transport, wire, mappers, sse) stay private. */
export { baseUrlProblem, DEFAULT_BASE_URL, NOT_A_URL } from './base-url.js';
export { Configuration, createConfiguration, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, type ConfigurationOptions } from './configuration.js';
export type { RequestOptions, ResponseEvent, RetryEvent } from './transport.js';
export * from './errors.js';
export { RETRY_POLICY, type RetryClock } from './retry.js';
export * from './assistants-api.js';
export * from './files-api.js';
export { AssistantStream } from './stream.js';
export { CursorPaginator, listingCursors, MAX_PAGES, PAGE_LIMIT, READ_AHEAD, type CursorParams, type ListingSource, type ListPage, type PagesOptions } from './pagination.js';
export { pollRun, RunPollTimeoutError, SETTLED_RUN_STATUSES, type PollRunOptions } from './poll.js';
export type * from './models.js';
export type * from './thread-models.js';
export type * from './stream-models.js';
