/**
 * The hidden first line of every comment this tool posts, which is how it finds its own
 * comments again: `<!-- assistants-iac kind=plan project=P environment=E part=1/3
 * digest=D [plan-hash=H] [outdated] -->`. Project and environment are manifest
 * identifiers (`[a-z0-9_-]`), so the line needs no escaping.
 *
 * `digest` is a hash of the body under the line: when a person edits the comment, the
 * digest no longer matches, and the edit is left alone (a new comment is posted instead
 * of writing over it).
 */
import { createHash } from 'node:crypto';

export type CommentKind = 'plan' | 'apply' | 'destroy';

/** Which comment thread: one per kind, project and environment on a pull request. */
export interface CommentKey {
  kind: CommentKind;
  project: string;
  environment: string;
}

export interface Marker extends CommentKey {
  part: number;
  parts: number;
  digest: string;
  planHash: string | null;
  outdated: boolean;
}

const MARKER = /^<!-- assistants-iac kind=(plan|apply|destroy) project=([a-z0-9][a-z0-9_-]{0,62}) environment=([a-z0-9][a-z0-9_-]{0,62}) part=(\d{1,4})\/(\d{1,4}) digest=([0-9a-f]{16})( plan-hash=[0-9a-f]{64})?( outdated)? -->\n/;

/**
 * Room kept in every comment for the marker line: the longest one (63-character project
 * and environment, part 9999/9999, a plan hash, outdated) is 308 characters.
 */
export const MARKER_RESERVE = 400;

/** A hash of a comment's text; line endings and trailing blanks, which a platform may change, do not count. */
export function bodyDigest(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n').trimEnd()).digest('hex').slice(0, 16);
}

/** A comment body: the marker line, then `text`. */
export function markedBody(key: CommentKey, part: number, parts: number, text: string, options: { planHash?: string; outdated?: boolean } = {}): string {
  const hash = options.planHash === undefined ? '' : ` plan-hash=${options.planHash}`;
  const outdated = options.outdated ? ' outdated' : '';
  return `<!-- assistants-iac kind=${key.kind} project=${key.project} environment=${key.environment} part=${part}/${parts} digest=${bodyDigest(text)}${hash}${outdated} -->\n${text}`;
}

/** The marker a comment body starts with, or null when it is not one of ours. */
export function parseMarker(body: string): (Marker & { intact: boolean }) | null {
  const match = MARKER.exec(body);
  if (match === null) return null;
  const [line, kind, project, environment, part, parts, digest, planHash, outdated] = match;
  return {
    kind: kind as CommentKind,
    project: project ?? '',
    environment: environment ?? '',
    part: Number(part),
    parts: Number(parts),
    digest: digest ?? '',
    planHash: planHash === undefined ? null : planHash.slice(' plan-hash='.length),
    outdated: outdated !== undefined,
    intact: bodyDigest(body.slice(line.length)) === digest,
  };
}

export function sameKey(a: CommentKey, b: CommentKey): boolean {
  return a.kind === b.kind && a.project === b.project && a.environment === b.environment;
}
