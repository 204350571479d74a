/** The renderers: a Plan as human text, as JSON (`--json`) and as Markdown (`--markdown`). */
export { renderJson } from '../plan/plan-json.js';
export { renderText } from './text.js';
export type { TextOptions } from './text.js';
export { renderMarkdown, renderMarkdownParts, MARKDOWN_COMMENT_LIMIT, MARKDOWN_MAX_PARTS } from './markdown.js';
export type { MarkdownOptions } from './markdown.js';
