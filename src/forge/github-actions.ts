/**
 * GitHub Actions' own channels, as its documentation describes them
 * (https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands):
 * the step summary (`$GITHUB_STEP_SUMMARY`, at most 1 MiB per step) and step outputs
 * (`$GITHUB_OUTPUT`); workflow commands are in workflow-command.ts.
 */
import { appendFile, stat } from 'node:fs/promises';
import { planHasChanges } from '../plan/planner.js';
import type { Plan } from '../plan/types.js';

/** The most a step summary may hold. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;

/**
 * Appends the Markdown parts to the step summary, as many whole parts as fit in what is
 * left of its 1 MiB (earlier writes in the same step count), with a line naming what did
 * not fit. Returns how many parts were written.
 */
export async function appendStepSummary(path: string, parts: string[]): Promise<number> {
  const used = await stat(path).then((s) => s.size, () => 0);
  const note = (left: number): string =>
    `\n> **Not shown here:** ${left} more ${left === 1 ? 'part' : 'parts'} of the plan, over the step summary's 1 MiB; run \`assistants plan\` to see the whole plan.\n`;
  let room = STEP_SUMMARY_LIMIT - used - Buffer.byteLength(note(parts.length)) - 2;
  const kept: string[] = [];
  for (const part of parts) {
    const size = Buffer.byteLength(part) + 1;
    if (size > room) break;
    kept.push(part);
    room -= size;
  }
  const left = parts.length - kept.length;
  const text = `${kept.join('\n')}${left > 0 ? note(left) : ''}\n`;
  if (Buffer.byteLength(text) + used > STEP_SUMMARY_LIMIT) return 0;
  await appendFile(path, text);
  return kept.length;
}

/** Appends `name=value` lines to `$GITHUB_OUTPUT`; values are one line each (numbers, booleans, hashes, URLs). */
export async function appendOutputs(path: string, outputs: Record<string, string>): Promise<void> {
  const lines = Object.entries(outputs).map(([name, value]) => {
    if (/[\r\n]/.test(value)) throw new Error(`internal: output ${name} spans lines`);
    return `${name}=${value}\n`;
  });
  await appendFile(path, lines.join(''));
}

/**
 * The step outputs of a plan: `has_changes`, `to_add`, `to_change`, `to_destroy`,
 * `to_upload`, `drift` (something was changed outside the tool), `plan_hash` and
 * `comment_id` (empty when nothing was posted).
 */
export function planOutputs(plan: Plan, commentId: number | null): Record<string, string> {
  const drift = plan.assistants.some((a) => a.reason === 'drift' || a.changes.some((c) => c.cause === 'drift'));
  return {
    has_changes: String(planHasChanges(plan)),
    to_add: String(plan.summary.add),
    to_change: String(plan.summary.change),
    to_destroy: String(plan.summary.destroy),
    to_upload: String(plan.summary.filesUpload),
    drift: String(drift),
    plan_hash: plan.planHash,
    comment_id: commentId === null ? '' : String(commentId),
  };
}
