/**
 * Sensitive values: what stands in for them wherever they would be shown, and how a
 * field of an assistant that holds one is named. A manifest marks a variable
 * `sensitive: true`; every field made with it is sensitive, as a whole (`name`,
 * `instructions`, `tools`...) or, for metadata, entry by entry (`metadata.KEY`).
 */

/** What plans, validate's output and messages show instead of a sensitive value. */
export const SENSITIVE_VALUE = '(sensitive)';

/**
 * A sensitive part of an assistant: an assistant field (`name`, `model`, `description`,
 * `instructions`, `tools`) or one metadata entry, `metadata.` followed by its key.
 */
export type SensitivePath = string;

const METADATA_PREFIX = 'metadata.';

export function metadataPath(key: string): SensitivePath {
  return `${METADATA_PREFIX}${key}`;
}

/** The metadata key a path names, or null when it names a whole field. */
export function metadataKeyOf(path: SensitivePath): string | null {
  return path.startsWith(METADATA_PREFIX) ? path.slice(METADATA_PREFIX.length) : null;
}

/** Shortest value worth scrubbing from free text: below it, ordinary words would be hidden. */
const MIN_SCRUBBED_LENGTH = 4;

/**
 * `text` with every occurrence of the given values replaced by (sensitive): for messages
 * that may echo what was sent (an API error quoting a field, say). Longest first, so a
 * value containing another is replaced whole.
 */
export function scrubValues(text: string, values: Iterable<string>): string {
  const sorted = [...new Set(values)].filter((v) => v.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
  let result = text;
  for (const value of sorted) result = result.split(value).join(SENSITIVE_VALUE);
  return result;
}
