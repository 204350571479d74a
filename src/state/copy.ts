/**
 * Copying a state from one backend to another (state push / pull): whether it may, and
 * how. Like `terraform state push`, it refuses to overwrite a state of another lineage, or
 * a newer one, unless forced; an equal serial with other content is a divergence, refused
 * the same way. The same lineage with the same content is nothing to copy.
 */
import { canonicalJson } from '../canonical-json.js';
import { UserError } from '../errors.js';
import type { StateFile } from './types.js';

export type CopyPlan =
  /** Write it as the next serial of the target. */
  | { kind: 'write' }
  /** Write it over whatever the target holds (forced). */
  | { kind: 'replace' }
  /** The target already holds exactly this. */
  | { kind: 'same' };

/** What copying `from` over `to` does; throws UserError('STATE') when it is refused. */
export function planCopy(from: StateFile, to: StateFile | null, force: boolean, where: { from: string; to: string }): CopyPlan {
  if (to === null) return { kind: 'write' };
  const { serial: _a, toolVersion: _b, ...fromContent } = from;
  const { serial: _c, toolVersion: _d, ...toContent } = to;
  // Serials differ after any copy (a write is always a new serial): same content is what counts.
  if (from.lineage === to.lineage && canonicalJson(fromContent) === canonicalJson(toContent)) return { kind: 'same' };
  const refusal =
    from.lineage !== to.lineage
      ? `${where.to} holds a state of lineage ${to.lineage}, ${where.from} one of lineage ${from.lineage}`
      : to.serial > from.serial
        ? `${where.to} is newer (serial ${to.serial}) than ${where.from} (serial ${from.serial})`
        : to.serial === from.serial
          ? `${where.to} and ${where.from} both have serial ${to.serial} but differ`
          : null;
  if (refusal === null) return { kind: 'write' };
  if (force) return { kind: 'replace' };
  throw new UserError('STATE', `refusing to overwrite: ${refusal}; pass --force to overwrite it anyway (its serials stay in the history where the backend keeps one)`);
}
