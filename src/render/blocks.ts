/**
 * Internal to the renderers: the Plan (in its JSON form) as blocks of signed lines, the
 * shape both the text and the Markdown renderers print. Terraform's layout: a comment
 * headline per object, then `+ assistant "key" {` with one line per attribute.
 */
import type { Plan } from '../plan/types.js';
import { planHasChanges, stateOnlyChanges } from '../plan/planner.js';
import { assistantBlock } from './assistant-block.js';
import { fileBlock } from './file-block.js';
import { assistantsWithIdByKey } from './headlines.js';
import type { ActionLabel, ObjectBlock, Sign } from './lines.js';

/** Every object the reader should see, files first (they are uploaded first), in plan order. */
export function objectBlocks(plan: Plan): ObjectBlock[] {
  const blocks: ObjectBlock[] = [];
  for (const file of plan.files) {
    const block = fileBlock(file, plan.mode);
    if (block !== null) blocks.push(block);
  }
  const withId = assistantsWithIdByKey(plan);
  for (const change of plan.assistants) {
    const block = assistantBlock(change, plan, withId);
    if (block !== null) blocks.push(block);
  }
  return blocks;
}

/** Legend entries, in Terraform's order, for the signs and actions the blocks use. */
export function legendEntries(blocks: ObjectBlock[]): Array<{ sign: Sign; meaning: string }> {
  const used = new Set(blocks.map((b) => b.action));
  const all: Array<{ sign: Sign; meaning: string; actions: ActionLabel[] }> = [
    { sign: '+', meaning: 'create', actions: ['create'] },
    { sign: '+', meaning: 'upload', actions: ['upload'] },
    { sign: '~', meaning: 'update in-place', actions: ['update'] },
    { sign: '-', meaning: 'destroy', actions: ['destroy'] },
    { sign: '-', meaning: 'delete', actions: ['delete'] },
    { sign: '-/+', meaning: 'replace (the new content is uploaded in place of the old file)', actions: ['replace'] },
  ];
  return all.filter((e) => e.actions.some((a) => used.has(a))).map(({ sign, meaning }) => ({ sign, meaning }));
}

/**
 * The summary: `Plan: ...`, `Files: ...` and `State: ...`, or the no-changes sentence, by
 * mode. "No changes" only when applying would do nothing at all (planHasChanges), the same
 * test `--detailed-exitcode` uses, so the two never disagree.
 */
export function summaryLines(plan: Plan, blocks: ObjectBlock[]): string[] {
  const changed = blocks.filter((b) => b.sign !== null).length;
  const stateOnly = stateOnlyChanges(plan);
  const stateLine = `State: ${stateOnly} ${stateOnly === 1 ? 'record' : 'records'} to update (objects adopted, or deleted outside assistants); nothing is sent.`;
  if (plan.mode === 'refresh-only') {
    if (changed === 0 && stateOnly === 0) return ['No changes. Your assistants still match the last applied state.'];
    const drift = changed === 0 ? [] : [
      `Drift: ${changed} ${changed === 1 ? 'object has' : 'objects have'} changed outside assistants. ` +
        'Applying this refresh-only plan records that in the state and changes no assistant or file.',
    ];
    return [...drift, ...(stateOnly > 0 ? [stateLine] : [])];
  }
  if (!planHasChanges(plan)) {
    return plan.mode === 'destroy'
      ? [`No changes. Nothing that project "${plan.project}" owns in environment "${plan.environment}" is left to destroy.`]
      : ['No changes. Your assistants match the manifest.'];
  }
  const s = plan.summary;
  const lines = [`Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`];
  if (plan.files.length > 0 || s.filesUpload > 0 || s.filesDelete > 0) {
    const replaced = plan.files.filter((f) => f.action === 'upload' && f.id !== null).length;
    const old = replaced === 0 ? '' : ` (${replaced === s.filesDelete ? '' : `${replaced} of them `}the old ${replaced === 1 ? 'copy of a replaced file' : 'copies of replaced files'})`;
    lines.push(`Files: ${s.filesUpload} to upload, ${s.filesDelete} to delete${old}.`);
  }
  if (stateOnly > 0) lines.push(stateLine);
  return lines;
}

/** One line to say what the plan is about. */
export function contextLine(plan: Plan): string {
  return `Project "${plan.project}", environment "${plan.environment}", endpoint ${plan.endpoint}`;
}
