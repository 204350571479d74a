/**
 * One comment thread per kind, project and environment on a pull request, kept up to
 * date: found again by its marker, updated in place part by part (unchanged parts are
 * not touched), parts no longer needed deleted. With `mode: 'new'` the old thread is
 * marked outdated and a new one posted. A comment a person edited is left alone (its
 * digest no longer matches) and a new one takes its place; one deleted since it was
 * listed is posted again.
 */
import { ForgeError } from './errors.js';
import type { Forge, ForgeComment } from './forge.js';
import { markedBody, MARKER_RESERVE, parseMarker, sameKey, type CommentKey, type Marker } from './marker.js';

export interface PublishRequest {
  key: CommentKey;
  /** The Markdown of each part, each at most `forge.commentLimit - MARKER_RESERVE` characters. */
  parts: string[];
  /** Shown in the first part's marker, so the reviewed plan can be found again. */
  planHash?: string;
  mode: 'update' | 'new';
}

export interface PublishResult {
  /** The comments that now hold the parts, in order. */
  commentIds: number[];
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** Comments marked outdated (`mode: 'new'`). */
  outdated: number;
  /** Comments of ours that a person edited, left as they are. */
  edited: number;
}

/** The longest part a platform takes once the marker is added. */
export function partLimit(forge: Pick<Forge, 'commentLimit'>): number {
  return forge.commentLimit - MARKER_RESERVE;
}

export async function publishComments(forge: Forge, request: PublishRequest): Promise<PublishResult> {
  const { key, parts } = request;
  const limit = partLimit(forge);
  const tooLong = parts.findIndex((p) => p.length > limit);
  if (tooLong >= 0) throw new Error(`internal: part ${tooLong + 1} is longer than ${limit} characters`);

  const ours = (await forge.listComments()).flatMap((comment) => {
    const marker = parseMarker(comment.body);
    return marker !== null && sameKey(marker, key) && !marker.outdated ? [{ comment, marker }] : [];
  });
  const intact = ours.filter((o) => o.marker.intact);
  const result: PublishResult = { commentIds: [], created: 0, updated: 0, unchanged: 0, deleted: 0, outdated: 0, edited: ours.length - intact.length };
  const bodies = parts.map((text, index) => markedBody(key, index + 1, parts.length, text, index === 0 && request.planHash !== undefined ? { planHash: request.planHash } : {}));

  const post = async (body: string): Promise<void> => {
    result.commentIds.push((await forge.createComment(body)).id);
    result.created += 1;
  };

  if (request.mode === 'new') {
    for (const { comment, marker } of intact) {
      await forge.updateComment(comment.id, outdatedBody(key, marker, comment.body, forge.commentLimit));
      result.outdated += 1;
    }
    for (const body of bodies) await post(body);
    return result;
  }

  // The oldest intact comment for each part is kept; any other of ours is deleted.
  const byPart = new Map<number, ForgeComment>();
  for (const { comment, marker } of intact) if (!byPart.has(marker.part)) byPart.set(marker.part, comment);
  const kept = new Set<number>();
  for (const [index, body] of bodies.entries()) {
    const current = byPart.get(index + 1);
    if (current === undefined) {
      await post(body);
      continue;
    }
    kept.add(current.id);
    if (current.body === body) {
      result.commentIds.push(current.id);
      result.unchanged += 1;
      continue;
    }
    try {
      await forge.updateComment(current.id, body);
      result.commentIds.push(current.id);
      result.updated += 1;
    } catch (error) {
      // Deleted by a person since we listed it: post it again.
      if (!(error instanceof ForgeError && error.kind === 'not-found')) throw error;
      await post(body);
    }
  }
  for (const { comment } of intact) {
    if (kept.has(comment.id)) continue;
    await forge.deleteComment(comment.id).catch((error: unknown) => {
      if (!(error instanceof ForgeError && error.kind === 'not-found')) throw error;
    });
    result.deleted += 1;
  }
  return result;
}

/** An old comment marked outdated: a line saying so, then what it said, folded (when that still fits). */
function outdatedBody(key: CommentKey, marker: Marker, body: string, limit: number): string {
  const note = `**Outdated:** a newer ${key.kind} for project "${key.project}", environment "${key.environment}" was posted below.`;
  const old = body.slice(body.indexOf('\n') + 1);
  const folded = `${note}\n\n<details><summary>What this comment said</summary>\n\n${old}\n\n</details>\n`;
  const text = folded.length + MARKER_RESERVE <= limit ? folded : `${note}\n`;
  return markedBody(key, marker.part, marker.parts, text, { outdated: true });
}
