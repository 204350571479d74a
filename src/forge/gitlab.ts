/**
 * GitLab's REST API v4 (gitlab.com, or self-managed through CI_API_V4_URL) for one merge
 * request or issue: notes, and labels.
 * https://docs.gitlab.com/api/notes/ and https://docs.gitlab.com/api/merge_requests/
 */
import { ForgeError } from './errors.js';
import type { Forge, ForgeComment, ForgeTarget } from './forge.js';
import { MAX_COMMENT_PAGES } from './forge.js';
import { ForgeHttp, type ForgeHttpOptions } from './http.js';

export interface GitLabOptions {
  /** CI_API_V4_URL, e.g. https://gitlab.com/api/v4. */
  apiUrl: string;
  /** CI_PROJECT_URL (or the merge request's project), for links. */
  projectUrl: string;
  /** The project's numeric id (CI_MERGE_REQUEST_PROJECT_ID or CI_PROJECT_ID), or its path. */
  projectId: string;
  token: string;
  target: ForgeTarget;
  http?: Partial<ForgeHttpOptions>;
}

/** The most characters GitLab accepts in a note. */
export const GITLAB_COMMENT_LIMIT = 1_000_000;

export class GitLabForge implements Forge {
  readonly platform = 'GitLab';
  readonly commentLimit = GITLAB_COMMENT_LIMIT;
  readonly targetName: string;
  readonly #http: ForgeHttp;
  readonly #options: GitLabOptions;
  readonly #item: string;

  constructor(options: GitLabOptions) {
    this.#options = options;
    const pull = options.target.kind === 'pull';
    this.targetName = pull ? `merge request !${options.target.number}` : `issue #${options.target.number}`;
    this.#item = `/projects/${encodeURIComponent(options.projectId)}/${pull ? 'merge_requests' : 'issues'}/${options.target.number}`;
    this.#http = new ForgeHttp({ baseUrl: options.apiUrl, secret: options.token, headers: { 'private-token': options.token }, ...options.http });
  }

  async listComments(): Promise<ForgeComment[]> {
    return this.#explained('read the notes of', async () => {
      const notes: ForgeComment[] = [];
      let page: string | null = '1';
      for (let count = 0; page !== null; count += 1) {
        if (count === MAX_COMMENT_PAGES) throw new ForgeError('server', `more than ${MAX_COMMENT_PAGES} pages of notes`);
        const response = await this.#http.send('GET', `${this.#item}/notes?sort=asc&order_by=created_at&per_page=100&page=${page}`);
        if (!Array.isArray(response.body)) throw new ForgeError('server', 'the list of notes is not an array');
        // System notes ("added 1 commit", label changes) are GitLab's, never ours.
        notes.push(...response.body.filter((n: unknown) => !(n as { system?: unknown } | null)?.system).map(noteOf));
        const next = response.headers['x-next-page'] ?? '';
        page = /^\d+$/.test(next) && next !== page ? next : null;
      }
      return notes;
    });
  }

  async createComment(body: string): Promise<ForgeComment> {
    return this.#explained('comment on', async () => noteOf((await this.#http.send('POST', `${this.#item}/notes`, { body })).body));
  }

  async updateComment(id: number, body: string): Promise<void> {
    await this.#explained('update a note on', () => this.#http.send('PUT', `${this.#item}/notes/${id}`, { body }));
  }

  async deleteComment(id: number): Promise<void> {
    await this.#explained('delete an old note on', () => this.#http.send('DELETE', `${this.#item}/notes/${id}`));
  }

  async listLabels(): Promise<string[]> {
    return this.#explained('read the labels of', async () => {
      const labels = ((await this.#http.send('GET', this.#item)).body as { labels?: unknown } | null)?.labels;
      return Array.isArray(labels) ? labels.filter((l): l is string => typeof l === 'string') : [];
    });
  }

  async changeLabels(add: string, color: string, remove: string[]): Promise<void> {
    await this.#explained('label', async () => {
      // Created once with its colour; 409 says it exists already.
      const project = `/projects/${encodeURIComponent(this.#options.projectId)}`;
      await this.#http.send('POST', `${project}/labels`, { name: add, color: `#${color}` }).catch((error: unknown) => {
        if (!(error instanceof ForgeError && error.status === 409)) throw error;
      });
      await this.#http.send('PUT', this.#item, { add_labels: add, remove_labels: remove.join(',') });
    });
  }

  commentUrl(id: number): string {
    const { projectUrl, target } = this.#options;
    return `${projectUrl.replace(/\/+$/, '')}/-/${target.kind === 'pull' ? 'merge_requests' : 'issues'}/${target.number}#note_${id}`;
  }

  async #explained<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ForgeError)) throw error;
      throw new ForgeError(error.kind, `GitLab: could not ${action} ${this.targetName} in project ${this.#options.projectId}: ${error.message}${advice(error)}`, error.status);
    }
  }
}

function advice(error: ForgeError): string {
  switch (error.kind) {
    case 'unauthorized':
      return '; GITLAB_TOKEN is not a valid token (a project access token with the api scope)';
    case 'forbidden':
      return '; the token lacks the permission: it needs the api scope and the Reporter role or higher in the project (Developer to set labels)';
    case 'not-found':
      return '; check the project id and the number, and that the token can see the project';
    default:
      return '';
  }
}

function noteOf(value: unknown): ForgeComment {
  const record = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  if (typeof record['id'] !== 'number') throw new ForgeError('server', 'the answer holds no note id');
  return { id: record['id'], body: typeof record['body'] === 'string' ? record['body'] : '' };
}
