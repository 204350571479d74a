/**
 * Ownership: every assistant this tool creates carries one metadata entry naming the
 * project, environment and manifest key it belongs to (like kubectl's ApplySet label).
 * Planning never changes or deletes an assistant without it or a state record.
 */
export const OWNERSHIP_METADATA_KEY = 'assistants-iac';

export interface Owner {
  project: string;
  environment: string;
  key: string;
}

/** `project/environment/key`; the parts are validated by the manifest to hold no `/`. */
export function formatOwner(owner: Owner): string {
  return `${owner.project}/${owner.environment}/${owner.key}`;
}

/** The owner named by an assistant's metadata, or null when it carries no valid tag. */
export function parseOwner(metadata: Record<string, string> | null | undefined): Owner | null {
  const value = metadata?.[OWNERSHIP_METADATA_KEY];
  if (typeof value !== 'string') return null;
  const parts = value.split('/');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) return null;
  const [project, environment, key] = parts as [string, string, string];
  return { project, environment, key };
}

/**
 * The owner an assistant's tag names when it is not `owner` (another project, environment
 * or key), else null (tagged as `owner`, or not tagged at all). Such an assistant is never
 * taken over: not by import, not through a state record.
 */
export function otherOwner(metadata: Record<string, string> | null | undefined, owner: Owner): Owner | null {
  const tagged = parseOwner(metadata);
  return tagged !== null && formatOwner(tagged) !== formatOwner(owner) ? tagged : null;
}
