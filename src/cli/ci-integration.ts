/**
 * The CI side of plan, apply and destroy: options, and what they print. The
 * work is in `forge/`; this file decides what a failure means for the exit code (a
 * comment that fails is a warning unless `--comment-required`; a fork's pull request is a
 * notice) and writes the lines.
 */
import { Option } from 'commander';
import { UserError } from '../errors.js';
import { detectCiJob, forgeForJob, forkNotice, type CiJob } from '../forge/ci-job.js';
import { partLimit, publishComments } from '../forge/comments.js';
import { ForgeError } from '../forge/errors.js';
import { appendOutputs, appendStepSummary, planOutputs } from '../forge/github-actions.js';
import { GITHUB_COMMENT_LIMIT } from '../forge/github.js';
import { GITLAB_COMMENT_LIMIT } from '../forge/gitlab.js';
import { setOutcomeLabel } from '../forge/labels.js';
import type { CommentKind } from '../forge/marker.js';
import { workflowCommand } from '../forge/workflow-command.js';
import type { Plan } from '../plan/types.js';
import type { CliIo } from './io.js';

export interface CommentOptions {
  /** `--comment` (true) or `--comment=update|new`. */
  comment?: boolean | string;
  commentRequired?: boolean;
  commentIssue?: string;
  label?: boolean;
}

/** What --comment asks for, checked before anything runs; null without --comment. */
export interface CommentRequest {
  mode: 'update' | 'new';
  issue: number | undefined;
  required: boolean;
  label: boolean;
}

export function commentRequest(options: CommentOptions): CommentRequest | null {
  if (options.comment === undefined) {
    if (options.label) throw new UserError('USAGE', '--label goes with --comment: the label is set on the pull request commented on.');
    if (options.commentRequired || options.commentIssue !== undefined) throw new UserError('USAGE', '--comment-required and --comment-issue go with --comment.');
    return null;
  }
  const mode = options.comment === true ? 'update' : options.comment;
  if (mode !== 'update' && mode !== 'new') throw new UserError('USAGE', `--comment=${mode}: give update (the default) or new.`);
  const issue = options.commentIssue === undefined ? undefined : parseIssue(options.commentIssue);
  return { mode, issue, required: Boolean(options.commentRequired), label: Boolean(options.label) };
}

/** `--comment` and its companions, posting `what`. */
export function commentOptions(what: string): Option[] {
  return [
    new Option('--comment [mode]', `post ${what} to the pull/merge request this CI job runs for: update (default) the comment for this project and environment in place, or new (mark the old one outdated)`),
    new Option('--comment-required', 'exit 1 when the comment cannot be posted (by default that is a warning)'),
    new Option('--comment-issue <number>', "comment on this issue instead (a drift check's tracking issue)"),
  ];
}

/** The longest Markdown part the CI job's platform takes in one comment (GitHub's outside CI). */
export function markdownPartLength(io: CliIo): number {
  const limit = detectCiJob(io.env)?.platform === 'gitlab' ? GITLAB_COMMENT_LIMIT : GITHUB_COMMENT_LIMIT;
  return partLimit({ commentLimit: limit });
}

export interface Commentable {
  kind: CommentKind;
  plan: Plan;
  /** A bold line above the plan (an apply's outcome). */
  heading?: string;
}

/**
 * Posts the plan (or an apply's outcome with its plan) as this project and environment's
 * comment, and labels the pull request with `--label`. Returns the first comment's id, or
 * null when nothing was posted; a failure is a warning, or an error with --comment-required.
 */
export async function postComment(io: CliIo, request: CommentRequest, what: Commentable): Promise<number | null> {
  const { mode, issue } = request;
  const job = detectCiJob(io.env);
  const notice = forkNotice(job, issue);
  if (notice !== null) {
    note(io, job, 'notice', `${notice}; the plan is in the job's log${job?.platform === 'github' ? ' and summary' : ''}.`);
    return null;
  }
  try {
    const forge = forgeForJob(job, issue);
    const { renderMarkdownParts } = await loadMarkdown();
    const parts = renderMarkdownParts(what.plan, { maxPartLength: partLimit(forge), ...(what.heading === undefined ? {} : { heading: what.heading }) });
    const key = { kind: what.kind, project: what.plan.project, environment: what.plan.environment };
    const result = await publishComments(forge, { key, parts, planHash: what.plan.planHash, mode });
    const first = result.commentIds[0] ?? null;
    const counts = [
      result.created > 0 ? `${result.created} posted` : '',
      result.updated > 0 ? `${result.updated} updated` : '',
      result.unchanged > 0 ? `${result.unchanged} unchanged` : '',
      result.deleted > 0 ? `${result.deleted} old deleted` : '',
      result.outdated > 0 ? `${result.outdated} marked outdated` : '',
      result.edited > 0 ? `${result.edited} edited by a person left as they are` : '',
    ].filter((c) => c !== '');
    io.stderr.write(`Commented on ${forge.targetName} (${parts.length === 1 ? 'one comment' : `${parts.length} comments`}: ${counts.join(', ')})${first === null ? '' : `: ${forge.commentUrl(first)}`}\n`);
    if (request.label) io.stderr.write(`Labelled ${forge.targetName} "${await setOutcomeLabel(forge, what.plan)}".\n`);
    return first;
  } catch (error) {
    if (!(error instanceof ForgeError)) throw error;
    if (request.required) throw new UserError('COMMENT', `${error.message}.`);
    note(io, job, 'warning', `${error.message}. The exit code is unchanged (--comment-required makes this an error).`);
    return null;
  }
}

/** The Markdown renderer (and the diff library under it), loaded only to post or summarize a plan: validate never needs it. */
function loadMarkdown(): Promise<typeof import('../render/markdown.js')> {
  return import('../render/markdown.js');
}

function parseIssue(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new UserError('USAGE', `--comment-issue ${JSON.stringify(text)}: give the issue's number.`);
  return value;
}

/** A notice or warning on stderr, also as a workflow command under GitHub Actions so it shows on the run. */
function note(io: CliIo, job: CiJob | null, level: 'notice' | 'warning', message: string): void {
  io.stderr.write(`${level === 'notice' ? 'Notice' : 'Warning'}: ${message}\n`);
  if (job?.platform === 'github') io.stderr.write(`${workflowCommand(level, message)}\n`);
}

/** Under GitHub Actions: the plan's Markdown into the step summary, and its counts and hash into the step outputs. */
export async function writeGitHubStepResults(io: CliIo, plan: Plan, commentId: number | null): Promise<void> {
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (summary) await appendStepSummary(summary, (await loadMarkdown()).renderMarkdownParts(plan, { maxPartLength: markdownPartLength(io) }));
  const output = io.env.GITHUB_OUTPUT;
  if (output) await appendOutputs(output, planOutputs(plan, commentId));
}
