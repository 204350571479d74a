/**
 * A stand-in for the GitLab REST API v4 endpoints the tool calls, and only those, with
 * the shapes GitLab documents:
 *
 * - Notes, https://docs.gitlab.com/api/notes/: GET /projects/:id/merge_requests/:iid/notes
 *   (and /issues/:iid/notes) with sort, order_by, per_page (at most 100) and page; POST
 *   with {"body"} -> 201; PUT .../notes/:note_id -> 200; DELETE -> 204. System notes come
 *   in the list with "system": true. A note is at most 1,000,000 characters.
 * - Offset pagination, https://docs.gitlab.com/api/rest/#pagination: X-Page, X-Per-Page,
 *   X-Next-Page (empty on the last page), X-Prev-Page, X-Total, X-Total-Pages.
 * - Merge requests, https://docs.gitlab.com/api/merge_requests/: GET /projects/:id/merge_requests/:iid
 *   (its "labels"), PUT with add_labels / remove_labels (comma-separated).
 * - Labels, https://docs.gitlab.com/api/labels/: POST /projects/:id/labels {"name","color"}
 *   -> 201, 409 when it exists.
 * - Errors: {"message": "401 Unauthorized"} without a valid PRIVATE-TOKEN, 403 Forbidden,
 *   404 Not found, 429 with Retry-After (https://docs.gitlab.com/security/rate_limits/).
 */
import type { IncomingMessage } from 'node:http';
import type { StandInComment } from './github-stand-in.js';
import { answer, JsonStandIn, type Answer } from './json-stand-in.js';

const MAX_NOTE = 1_000_000;

interface Note extends StandInComment {
  system: boolean;
}

export class GitLabStandIn extends JsonStandIn {
  protected readonly tokenHeader = 'private-token';
  readonly token: string;
  readonly projectId: string;
  readonly notes = new Map<number, Note[]>();
  readonly mrLabels = new Map<number, string[]>();
  readonly projectLabels = new Map<string, string>();
  /** A token without the permission: every write answers 403. */
  readOnly = false;
  #nextId = 5000;

  constructor(options: { token?: string; projectId?: string } = {}) {
    super();
    this.token = options.token ?? 'glpat-standInToken0123456789';
    this.projectId = options.projectId ?? '42';
  }

  get apiUrl(): string {
    return `${this.url}/api/v4`;
  }

  seed(iid: number, body: string, system = false): Note {
    const note = { id: this.#nextId++, body, system };
    this.notes.set(iid, [...(this.notes.get(iid) ?? []), note]);
    return note;
  }

  userNotes(iid: number): Note[] {
    return (this.notes.get(iid) ?? []).filter((n) => !n.system);
  }

  protected invalidJson(): Answer {
    return answer(400, { error: 'body is invalid JSON' });
  }

  protected route(req: IncomingMessage, url: URL, body: unknown): Answer {
    if (req.headers['private-token'] !== this.token) return answer(401, { message: '401 Unauthorized' });
    const scripted = this.script.shift();
    if (scripted) return scripted;

    const project = `/api/v4/projects/${encodeURIComponent(this.projectId)}`;
    if (!url.pathname.startsWith(`${project}/`)) return answer(404, { message: '404 Project Not Found' });
    const rest = url.pathname.slice(project.length);
    if (req.method !== 'GET' && this.readOnly) return answer(403, { message: '403 Forbidden' });
    let m: RegExpExecArray | null;
    if ((m = /^\/(?:merge_requests|issues)\/(\d+)\/notes$/.exec(rest))) {
      const iid = Number(m[1]);
      if (req.method === 'GET') return this.#list(url, iid);
      if (req.method === 'POST') {
        const problem = noteProblem(body);
        if (problem) return answer(400, { message: { note: [problem] } });
        return answer(201, this.#json(iid, this.seed(iid, (body as { body: string }).body)));
      }
    }
    if ((m = /^\/(?:merge_requests|issues)\/(\d+)\/notes\/(\d+)$/.exec(rest))) {
      const iid = Number(m[1]);
      const id = Number(m[2]);
      const list = this.notes.get(iid) ?? [];
      const note = list.find((n) => n.id === id);
      if (!note) return answer(404, { message: '404 Not found' });
      if (req.method === 'PUT') {
        const problem = noteProblem(body);
        if (problem) return answer(400, { message: { note: [problem] } });
        note.body = (body as { body: string }).body;
        return answer(200, this.#json(iid, note));
      }
      if (req.method === 'DELETE') {
        this.notes.set(iid, list.filter((n) => n.id !== id));
        return answer(204, null);
      }
    }
    if ((m = /^\/merge_requests\/(\d+)$/.exec(rest))) {
      const iid = Number(m[1]);
      if (req.method === 'PUT') {
        const { add_labels: add, remove_labels: remove } = (body ?? {}) as { add_labels?: unknown; remove_labels?: unknown };
        const split = (v: unknown): string[] => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : []);
        const next = (this.mrLabels.get(iid) ?? []).filter((l) => !split(remove).includes(l));
        this.mrLabels.set(iid, [...new Set([...next, ...split(add)])]);
      }
      if (req.method === 'GET' || req.method === 'PUT') return answer(200, { id: 90000 + iid, iid, project_id: Number(this.projectId), title: 'Change assistants', labels: this.mrLabels.get(iid) ?? [] });
    }
    if (rest === '/labels' && req.method === 'POST') {
      const { name, color } = (body ?? {}) as { name?: unknown; color?: unknown };
      if (typeof name !== 'string' || typeof color !== 'string' || !/^#[0-9a-f]{6}$/i.test(color)) return answer(400, { message: { color: ['must be a valid color code'] } });
      if (this.projectLabels.has(name)) return answer(409, { message: 'Label already exists' });
      this.projectLabels.set(name, color);
      return answer(201, { id: this.#nextId++, name, color });
    }
    return answer(404, { message: '404 Not found' });
  }

  #list(url: URL, iid: number): Answer {
    if (url.searchParams.get('sort') !== 'asc' || url.searchParams.get('order_by') !== 'created_at') return answer(400, { error: 'expected sort=asc&order_by=created_at' });
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 20)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const all = this.notes.get(iid) ?? [];
    const pages = Math.max(1, Math.ceil(all.length / perPage));
    return answer(200, all.slice((page - 1) * perPage, page * perPage).map((n) => this.#json(iid, n)), {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-next-page': page < pages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      'x-total': String(all.length),
      'x-total-pages': String(pages),
    });
  }

  #json(iid: number, note: Note): object {
    return {
      id: note.id,
      type: null,
      body: note.body,
      author: { id: 7, username: 'project_42_bot', name: 'assistants bot' },
      created_at: '2026-01-02T03:04:05.000Z',
      updated_at: '2026-01-02T03:04:05.000Z',
      system: note.system,
      noteable_id: 90000 + iid,
      noteable_type: 'MergeRequest',
      noteable_iid: iid,
      resolvable: false,
      confidential: false,
      internal: false,
    };
  }
}

function noteProblem(body: unknown): string | null {
  const text = (body as { body?: unknown } | null)?.body;
  if (typeof text !== 'string' || text === '') return "can't be blank";
  if (text.length > MAX_NOTE) return `is too long (maximum is ${MAX_NOTE} characters)`;
  return null;
}
