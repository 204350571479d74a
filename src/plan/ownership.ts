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
