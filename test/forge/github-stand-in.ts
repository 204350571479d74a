/**
 * A stand-in for the GitHub REST endpoints the tool calls, and only those, answering with
 * the shapes GitHub documents (API version 2022-11-28):
 *
 * - Issue comments, https://docs.github.com/rest/issues/comments:
 *   GET /repos/{owner}/{repo}/issues/{issue_number}/comments (per_page up to 100, `page`,
 *   a Link header with rel="next" and rel="last"), POST the same path with {"body"} -> 201,
 *   PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} -> 200,
 *   DELETE /repos/{owner}/{repo}/issues/comments/{comment_id} -> 204. A body is at most
 *   65,536 characters, else 422 Validation Failed.
 * - Labels, https://docs.github.com/rest/issues/labels:
 *   GET /repos/{owner}/{repo}/issues/{issue_number}/labels, POST /repos/{owner}/{repo}/labels
 *   {"name","color"} -> 201 (422 already_exists), POST .../issues/{n}/labels {"labels"} -> 200,
 *   DELETE .../issues/{n}/labels/{name} -> 200 (404 when not set).
 * - Errors, https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api and
 *   https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api:
 *   401 Bad credentials; 403 "Resource not accessible by integration" with
 *   x-accepted-github-permissions for a read-only token; 404 Not Found; a secondary rate
 *   limit as 403 with retry-after. Every request needs a User-Agent (else 403), and
 *   `Authorization: Bearer TOKEN`.
 */
import type { IncomingMessage } from 'node:http';
import { answer, JsonStandIn, type Answer } from './json-stand-in.js';

export interface StandInComment {
  id: number;
  body: string;
}

const DOCS = 'https://docs.github.com/rest';
const MAX_BODY = 65_536;

export class GitHubStandIn extends JsonStandIn {
  protected readonly tokenHeader = 'authorization';
  readonly token: string;
  readonly repository: string;
  /** Issue number -> its comments, oldest first. */
  readonly comments = new Map<number, StandInComment[]>();
  readonly issueLabels = new Map<number, string[]>();
  readonly repoLabels = new Map<string, string>();
  /** A read-only token (a fork's): every write answers 403. */
  readOnly = false;
  #nextId = 1000;

  constructor(options: { token?: string; repository?: string } = {}) {
    super();
    this.token = options.token ?? 'ghs_standInToken0123456789';
    this.repository = options.repository ?? 'acme/assistants-config';
  }

  /** Seeds a comment as someone else (or we, earlier) posted it. */
  seed(issue: number, body: string): StandInComment {
    const comment = { id: this.#nextId++, body };
    this.comments.set(issue, [...(this.comments.get(issue) ?? []), comment]);
    return comment;
  }

  commentsOn(issue: number): StandInComment[] {
    return this.comments.get(issue) ?? [];
  }

  protected invalidJson(): Answer {
    return answer(400, { message: 'Problems parsing JSON', documentation_url: DOCS });
  }

  protected route(req: IncomingMessage, url: URL, body: unknown): Answer {
    if (!req.headers['user-agent']) {
      return answer(403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header', documentation_url: DOCS });
    }
    if (req.headers['authorization'] !== `Bearer ${this.token}`) {
      // A hostile or careless server might echo what it was sent: the client must scrub it.
      return answer(401, { message: `Bad credentials (${String(req.headers['authorization'])})`, documentation_url: DOCS, status: '401' });
    }
    if (req.headers['accept'] !== 'application/vnd.github+json' || req.headers['x-github-api-version'] !== '2022-11-28') {
      return answer(400, { message: 'expected Accept: application/vnd.github+json and X-GitHub-Api-Version: 2022-11-28' });
    }
    const scripted = this.script.shift();
    if (scripted) return scripted;

    const repo = `/repos/${this.repository}`;
    const path = url.pathname;
    if (!path.startsWith(`${repo}/`)) return answer(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    const rest = path.slice(repo.length);
    const write = req.method !== 'GET';
    if (write && this.readOnly) {
      return answer(403, { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' }, { 'x-accepted-github-permissions': 'issues=write; pull_requests=write' });
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = Number(m[1]);
      if (req.method === 'GET') return this.#list(url, issue);
      if (req.method === 'POST') {
        const problem = bodyProblem(body);
        if (problem) return answer(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: problem }], documentation_url: DOCS, status: '422' });
        return answer(201, this.#json(issue, this.seed(issue, (body as { body: string }).body)));
      }
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const id = Number(m[1]);
      const found = [...this.comments.entries()].find(([, list]) => list.some((c) => c.id === id));
      if (!found) return answer(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      const [issue, list] = found;
      if (req.method === 'PATCH') {
        const problem = bodyProblem(body);
        if (problem) return answer(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: problem }], documentation_url: DOCS, status: '422' });
        const comment = list.find((c) => c.id === id)!;
        comment.body = (body as { body: string }).body;
        return answer(200, this.#json(issue, comment));
      }
      if (req.method === 'DELETE') {
        this.comments.set(issue, list.filter((c) => c.id !== id));
        return answer(204, null);
      }
    }
    if (rest === '/labels' && req.method === 'POST') {
      const { name, color } = (body ?? {}) as { name?: unknown; color?: unknown };
      if (typeof name !== 'string' || typeof color !== 'string' || !/^[0-9a-f]{6}$/i.test(color)) return answer(422, { message: 'Validation Failed', documentation_url: DOCS });
      if (this.repoLabels.has(name)) return answer(422, { message: 'Validation Failed', errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }], documentation_url: DOCS });
      this.repoLabels.set(name, color);
      return answer(201, { id: this.#nextId++, name, color, default: false });
    }
    if ((m = /^\/issues\/(\d+)\/labels$/.exec(rest))) {
      const issue = Number(m[1]);
      const current = this.issueLabels.get(issue) ?? [];
      if (req.method === 'GET') return answer(200, current.map((name) => ({ name, color: this.repoLabels.get(name) ?? 'ededed' })));
      if (req.method === 'POST') {
        const labels = (body as { labels?: unknown } | null)?.labels;
        if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) return answer(422, { message: 'Validation Failed', documentation_url: DOCS });
        for (const l of labels) if (!this.repoLabels.has(l)) this.repoLabels.set(l, 'ededed');
        this.issueLabels.set(issue, [...new Set([...current, ...labels])]);
        return answer(200, (this.issueLabels.get(issue) ?? []).map((name) => ({ name })));
      }
    }
    if ((m = /^\/issues\/(\d+)\/labels\/(.+)$/.exec(rest)) && req.method === 'DELETE') {
      const issue = Number(m[1]);
      const name = decodeURIComponent(m[2] ?? '');
      const current = this.issueLabels.get(issue) ?? [];
      if (!current.includes(name)) return answer(404, { message: 'Label does not exist', documentation_url: DOCS });
      this.issueLabels.set(issue, current.filter((l) => l !== name));
      return answer(200, (this.issueLabels.get(issue) ?? []).map((l) => ({ name: l })));
    }
    return answer(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
  }

  #list(url: URL, issue: number): Answer {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const all = this.commentsOn(issue);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const pageUrl = (p: number): string => `${this.url}${url.pathname}?per_page=${perPage}&page=${p}`;
    const links = page < last ? `<${pageUrl(page + 1)}>; rel="next", <${pageUrl(last)}>; rel="last"` : '';
    return answer(200, all.slice((page - 1) * perPage, page * perPage).map((c) => this.#json(issue, c)), links ? { link: links } : {});
  }

  #json(issue: number, comment: StandInComment): object {
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${this.url}/repos/${this.repository}/issues/comments/${comment.id}`,
      html_url: `https://github.com/${this.repository}/pull/${issue}#issuecomment-${comment.id}`,
      issue_url: `${this.url}/repos/${this.repository}/issues/${issue}`,
      body: comment.body,
      user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      created_at: '2026-01-02T03:04:05Z',
      updated_at: '2026-01-02T03:04:05Z',
      author_association: 'NONE',
    };
  }
}

function bodyProblem(body: unknown): string | null {
  const text = (body as { body?: unknown } | null)?.body;
  if (typeof text !== 'string' || text === '') return 'body is missing';
  if (text.length > MAX_BODY) return `body is too long (maximum is ${MAX_BODY} characters)`;
  return null;
}
