/**
 * GitHub's REST API (github.com, or GitHub Enterprise through GITHUB_API_URL) for one pull
 * request or issue: issue comments and labels, which pull requests share with issues.
 * https://docs.github.com/rest/issues/comments and https://docs.github.com/rest/issues/labels
 */
import { ForgeError } from './errors.js';
import type { Forge, ForgeComment, ForgeTarget } from './forge.js';
import { MAX_COMMENT_PAGES } from './forge.js';
import { ForgeHttp, type ForgeHttpOptions } from './http.js';

export interface GitHubOptions {
  /** GITHUB_API_URL, e.g. https://api.github.com or https://github.example.com/api/v3. */
  apiUrl: string;
  /** GITHUB_SERVER_URL, for links. */
  serverUrl: string;
  /** GITHUB_REPOSITORY: owner/name. */
  repository: string;
  token: string;
  target: ForgeTarget;
  /** Retry and timeout settings (tests shorten them). */
  http?: Partial<ForgeHttpOptions>;
}

/** The most characters GitHub accepts in an issue or pull-request comment. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export class GitHubForge implements Forge {
  readonly platform = 'GitHub';
  readonly commentLimit = GITHUB_COMMENT_LIMIT;
  readonly targetName: string;
  readonly #http: ForgeHttp;
  readonly #repo: string;
  readonly #options: GitHubOptions;

  constructor(options: GitHubOptions) {
    this.#options = options;
    this.#repo = `/repos/${options.repository.split('/').map(encodeURIComponent).join('/')}`;
    this.targetName = `${options.target.kind === 'pull' ? 'pull request' : 'issue'} #${options.target.number}`;
    this.#http = new ForgeHttp({
      baseUrl: options.apiUrl,
      secret: options.token,
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
      },
      ...options.http,
    });
  }

  get #issue(): string {
    return `${this.#repo}/issues/${this.#options.target.number}`;
  }

  async listComments(): Promise<ForgeComment[]> {
    return this.#explained('read the comments of', async () => {
      const comments: ForgeComment[] = [];
      let next: string | null = `${this.#issue}/comments?per_page=100`;
      for (let page = 0; next !== null; page += 1) {
        if (page === MAX_COMMENT_PAGES) throw new ForgeError('server', `more than ${MAX_COMMENT_PAGES} pages of comments`);
        const response = await this.#http.send('GET', next);
        comments.push(...commentList(response.body));
        next = nextLink(response.headers['link']);
      }
      return comments;
    });
  }

  async createComment(body: string): Promise<ForgeComment> {
    return this.#explained('comment on', async () => commentOf((await this.#http.send('POST', `${this.#issue}/comments`, { body })).body));
  }

  async updateComment(id: number, body: string): Promise<void> {
    await this.#explained('update a comment on', () => this.#http.send('PATCH', `${this.#repo}/issues/comments/${id}`, { body }));
  }

  async deleteComment(id: number): Promise<void> {
    await this.#explained('delete an old comment on', () => this.#http.send('DELETE', `${this.#repo}/issues/comments/${id}`));
  }

  async listLabels(): Promise<string[]> {
    return this.#explained('read the labels of', async () => {
      const response = await this.#http.send('GET', `${this.#issue}/labels?per_page=100`);
      return Array.isArray(response.body) ? response.body.flatMap((l: unknown) => (isNamed(l) ? [l.name] : [])) : [];
    });
  }

  async changeLabels(add: string, color: string, remove: string[]): Promise<void> {
    await this.#explained('label', async () => {
      // Created once with its colour; 422 says it exists already.
      await this.#http.send('POST', `${this.#repo}/labels`, { name: add, color }).catch((error: unknown) => {
        if (!(error instanceof ForgeError && error.status === 422)) throw error;
      });
      await this.#http.send('POST', `${this.#issue}/labels`, { labels: [add] });
      for (const name of remove) {
        await this.#http.send('DELETE', `${this.#issue}/labels/${encodeURIComponent(name)}`).catch((error: unknown) => {
          if (!(error instanceof ForgeError && error.status === 404)) throw error;
        });
      }
    });
  }

  commentUrl(id: number): string {
    const { serverUrl, repository, target } = this.#options;
    return `${serverUrl.replace(/\/+$/, '')}/${repository}/${target.kind === 'pull' ? 'pull' : 'issues'}/${target.number}#issuecomment-${id}`;
  }

  /** Runs `call`, turning a failure into one line that says what to do about it. */
  async #explained<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ForgeError)) throw error;
      throw new ForgeError(error.kind, `GitHub: could not ${action} ${this.targetName} in ${this.#options.repository}: ${error.message}${this.#advice(error)}`, error.status);
    }
  }

  #advice(error: ForgeError): string {
    switch (error.kind) {
      case 'unauthorized':
        return '; GITHUB_TOKEN is not a valid token (in a workflow: env: GITHUB_TOKEN: ${{ github.token }})';
      case 'forbidden': {
        const needed = acceptedPermissions(error.headers['x-accepted-github-permissions']) ??
          (this.#options.target.kind === 'pull' ? 'pull-requests: write' : 'issues: write');
        return `; the token lacks the permission ${needed} (grant it under the job's permissions:)`;
      }
      case 'not-found':
        return `; check GITHUB_REPOSITORY and the number, and that the token can see the repository`;
      default:
        return '';
    }
  }
}

/** `issues=write; pull_requests=write` as a workflow's permissions name them: `issues: write or pull-requests: write`. */
function acceptedPermissions(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '') return null;
  const names = header.split(/[;,]/).map((p) => p.trim()).filter((p) => p !== '').map((p) => {
    const [name, level] = p.split('=');
    return `${(name ?? '').replace(/_/g, '-')}: ${level ?? 'write'}`;
  });
  return names.length === 0 ? null : names.join(' or ');
}

/** The `rel="next"` URL of a Link header, or null. */
function nextLink(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const link of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link.trim());
    if (match?.[1] !== undefined) return match[1];
  }
  return null;
}

function isNamed(value: unknown): value is { name: string } {
  return value !== null && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string';
}

function commentOf(value: unknown): ForgeComment {
  const record = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  if (typeof record['id'] !== 'number') throw new ForgeError('server', 'the answer holds no comment id');
  return { id: record['id'], body: typeof record['body'] === 'string' ? record['body'] : '' };
}

function commentList(value: unknown): ForgeComment[] {
  if (!Array.isArray(value)) throw new ForgeError('server', 'the list of comments is not an array');
  return value.map(commentOf);
}
