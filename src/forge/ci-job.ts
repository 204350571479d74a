/**
 * Which CI job this is, from the variables GitHub Actions and GitLab CI set: the API to
 * talk to, the token, and the pull or merge request the job runs for (if any), and
 * whether it comes from a fork (whose jobs get no write access). Then the forge client
 * for the comment's target, or one line saying what is missing.
 */
import { readFileSync, statSync } from 'node:fs';
import { ForgeError } from './errors.js';
import type { Forge, ForgeTarget } from './forge.js';
import { GitHubForge } from './github.js';
import { GitLabForge } from './gitlab.js';
import type { ForgeHttpOptions } from './http.js';

export interface GitHubJob {
  platform: 'github';
  apiUrl: string;
  serverUrl: string;
  repository: string;
  token: string | undefined;
  eventName: string;
  /** The pull request of a pull_request(_target) event, or of a comment on one. */
  pull: { number: number; fork: boolean } | null;
  /** GITHUB_WORKSPACE: paths in annotations are relative to it. */
  workspace: string | undefined;
}

export interface GitLabJob {
  platform: 'gitlab';
  apiUrl: string;
  projectId: string;
  projectUrl: string;
  token: string | undefined;
  /** The merge request of a merge-request pipeline. */
  pull: { number: number; fork: boolean } | null;
  /** CI_PROJECT_DIR: paths in reports are relative to it. */
  workspace: string | undefined;
}

export type CiJob = GitHubJob | GitLabJob;

/** The most of GITHUB_EVENT_PATH read (GitHub caps event payloads at 25 MB). */
const MAX_EVENT_BYTES = 32 * 1024 * 1024;

/** The CI job described by `env`, or null outside GitHub Actions and GitLab CI. */
export function detectCiJob(env: NodeJS.ProcessEnv): CiJob | null {
  if (env.GITHUB_ACTIONS === 'true') {
    const repository = env.GITHUB_REPOSITORY ?? '';
    return {
      platform: 'github',
      apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
      serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
      repository,
      token: env.GITHUB_TOKEN || undefined,
      eventName: env.GITHUB_EVENT_NAME ?? '',
      pull: pullOfEvent(env.GITHUB_EVENT_PATH, repository),
      workspace: env.GITHUB_WORKSPACE || undefined,
    };
  }
  if (env.GITLAB_CI === 'true') {
    const iid = Number(env.CI_MERGE_REQUEST_IID);
    const projectId = env.CI_MERGE_REQUEST_PROJECT_ID || env.CI_PROJECT_ID || '';
    const source = env.CI_MERGE_REQUEST_SOURCE_PROJECT_ID;
    return {
      platform: 'gitlab',
      apiUrl: env.CI_API_V4_URL || 'https://gitlab.com/api/v4',
      projectId,
      projectUrl: env.CI_MERGE_REQUEST_PROJECT_URL || env.CI_PROJECT_URL || '',
      token: env.GITLAB_TOKEN || undefined,
      pull: Number.isSafeInteger(iid) && iid > 0 ? { number: iid, fork: source !== undefined && source !== projectId } : null,
      workspace: env.CI_PROJECT_DIR || undefined,
    };
  }
  return null;
}

function pullOfEvent(path: string | undefined, repository: string): GitHubJob['pull'] {
  if (!path) return null;
  let event: unknown;
  try {
    if (statSync(path).size > MAX_EVENT_BYTES) return null;
    event = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
  const record = asRecord(event);
  const pull = asRecord(record?.['pull_request']);
  const issue = asRecord(record?.['issue']);
  const number = pull?.['number'] ?? (issue?.['pull_request'] !== undefined ? issue?.['number'] : undefined);
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number <= 0) return null;
  // A pull request whose head is another repository (or a deleted fork) runs with a read-only token.
  const head = asRecord(asRecord(pull?.['head'])?.['repo']);
  const fork = pull !== null && (head === null || head['full_name'] !== repository);
  return { number, fork };
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Why a comment from this job is a notice and not a failure, or null: a pull request from a fork. */
export function forkNotice(job: CiJob | null, issue: number | undefined): string | null {
  if (job === null || issue !== undefined || job.pull === null || !job.pull.fork) return null;
  const name = job.platform === 'github' ? `pull request #${job.pull.number}` : `merge request !${job.pull.number}`;
  return `${name} comes from a fork, whose jobs get a read-only token and no secrets: nothing was posted to it`;
}

/** The forge client for the job's pull/merge request, or issue `issue`; a ForgeError ('not-configured') says what is missing. */
export function forgeForJob(job: CiJob | null, issue: number | undefined, http?: Partial<ForgeHttpOptions>): Forge {
  if (job === null) {
    throw new ForgeError('not-configured', 'not running in GitHub Actions or GitLab CI (neither GITHUB_ACTIONS nor GITLAB_CI is "true"), so there is no pull request to comment on');
  }
  const target: ForgeTarget | null = issue !== undefined ? { kind: 'issue', number: issue } : job.pull === null ? null : { kind: 'pull', number: job.pull.number };
  if (job.platform === 'github') {
    if (target === null) {
      throw new ForgeError('not-configured', `this job runs for a ${job.eventName || 'non-pull-request'} event, not a pull request: run it on pull_request, or name an issue with --comment-issue N`);
    }
    if (!/^[^/\s]+\/[^/\s]+$/.test(job.repository)) throw new ForgeError('not-configured', 'GITHUB_REPOSITORY is not set to OWNER/REPO');
    if (job.token === undefined) {
      const permission = target.kind === 'pull' ? 'pull-requests: write' : 'issues: write';
      throw new ForgeError('not-configured', `GITHUB_TOKEN is not set: give the step env: GITHUB_TOKEN: \${{ github.token }}, with the job permission ${permission}`);
    }
    return new GitHubForge({ apiUrl: job.apiUrl, serverUrl: job.serverUrl, repository: job.repository, token: job.token, target, http });
  }
  if (target === null) {
    throw new ForgeError('not-configured', 'this pipeline is not a merge request pipeline (CI_MERGE_REQUEST_IID is not set): run the job with rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event", or name an issue with --comment-issue N');
  }
  if (job.projectId === '') throw new ForgeError('not-configured', 'CI_PROJECT_ID is not set');
  if (job.token === undefined) {
    throw new ForgeError('not-configured', 'GITLAB_TOKEN is not set: add a project access token with the api scope (Reporter role) as a masked CI/CD variable GITLAB_TOKEN');
  }
  return new GitLabForge({ apiUrl: job.apiUrl, projectUrl: job.projectUrl, projectId: job.projectId, token: job.token, target, http });
}
