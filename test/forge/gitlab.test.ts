/**
 * The plan note on a GitLab merge request, against the stand-in of the documented notes,
 * merge request and labels endpoints: offset pagination past system notes, in-place
 * update, splitting at GitLab's 1,000,000-character limit, and the error lines.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partLimit, publishComments } from '../../src/forge/comments.js';
import { ForgeError } from '../../src/forge/errors.js';
import { GitLabForge, GITLAB_COMMENT_LIMIT } from '../../src/forge/gitlab.js';
import { setOutcomeLabel } from '../../src/forge/labels.js';
import { parseMarker } from '../../src/forge/marker.js';
import { renderMarkdownParts } from '../../src/render/index.js';
import { create, plan, view } from '../render/plan-builder.js';
import { GitLabStandIn } from './gitlab-stand-in.js';

const MR = 12;
const key = { kind: 'plan' as const, project: 'shop', environment: 'staging' };
let gl: GitLabStandIn;
let waits: number[];

beforeEach(async () => {
  gl = await new GitLabStandIn().start();
  waits = [];
});
afterEach(async () => gl.close());

function forge(token = gl.token): GitLabForge {
  return new GitLabForge({
    apiUrl: gl.apiUrl,
    projectUrl: 'https://gitlab.example.com/acme/assistants',
    projectId: gl.projectId,
    token,
    target: { kind: 'pull', number: MR },
    http: { backoffMs: 1, sleep: async (ms) => void waits.push(ms) },
  });
}

const partsOf = (p: ReturnType<typeof plan>) => renderMarkdownParts(p, { maxPartLength: partLimit({ commentLimit: GITLAB_COMMENT_LIMIT }) });

describe('the plan note on a merge request', () => {
  it('is found again past system notes over several pages and updated in place', async () => {
    for (let i = 0; i < 130; i += 1) gl.seed(MR, `added ${i} commits`, true);
    const first = plan({ assistants: [create('support', view({ instructions: 'Hello' }))] });
    const posted = await publishComments(forge(), { key, parts: partsOf(first), planHash: first.planHash, mode: 'update' });
    const second = plan({ assistants: [create('support', view({ instructions: 'Hello again' }))] });
    const updated = await publishComments(forge(), { key, parts: partsOf(second), planHash: second.planHash, mode: 'update' });
    expect(updated).toMatchObject({ updated: 1, created: 0, commentIds: posted.commentIds });
    expect(gl.userNotes(MR)).toHaveLength(1);
    expect(parseMarker(gl.userNotes(MR)[0]!.body)).toMatchObject({ ...key, planHash: second.planHash, intact: true });
    expect(gl.requests.map((r) => r.path)).toContain(`/api/v4/projects/42/merge_requests/${MR}/notes?sort=asc&order_by=created_at&per_page=100&page=2`);
    expect(forge().commentUrl(posted.commentIds[0]!)).toBe(`https://gitlab.example.com/acme/assistants/-/merge_requests/${MR}#note_${posted.commentIds[0]}`);
  });

  it('splits a plan of 500 assistants at the 1,000,000-character limit, each note balanced', async () => {
    const instructions = Array.from({ length: 120 }, (_, i) => `Step ${i}: look the order up, then answer in two sentences.`).join('\n');
    const big = plan({ assistants: Array.from({ length: 500 }, (_, i) => create(`assistant-${i}`, view({ instructions }))) });
    await publishComments(forge(), { key, parts: partsOf(big), planHash: big.planHash, mode: 'update' });
    const notes = gl.userNotes(MR);
    expect(notes.length).toBeGreaterThanOrEqual(3);
    for (const note of notes) {
      expect(note.body.length).toBeLessThanOrEqual(GITLAB_COMMENT_LIMIT);
      expect(note.body.match(/<details>/g)?.length ?? 0).toBe(note.body.match(/<\/details>/g)?.length ?? 0);
      expect((note.body.match(/^`{3,}/gm)?.length ?? 0) % 2).toBe(0);
    }
  });

  it('sets the outcome label with add_labels and remove_labels', async () => {
    gl.mrLabels.set(MR, ['shop/staging: destroy', 'needs review']);
    await setOutcomeLabel(forge(), plan({ environment: 'staging', assistants: [create('a')] }));
    expect(gl.mrLabels.get(MR)).toEqual(['needs review', 'shop/staging: add or update']);
    expect(gl.projectLabels.get('shop/staging: add or update')).toBe('#1d76db');
  });
});

describe('GitLab errors', () => {
  const failure = async (f: GitLabForge): Promise<ForgeError> => {
    const p = plan({ assistants: [create('a')] });
    const error = await publishComments(f, { key, parts: partsOf(p), mode: 'update' }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeError);
    return error as ForgeError;
  };

  it.each([
    ['401', () => forge('glpat-wrong0123456789'), /answered 401: 401 Unauthorized; GITLAB_TOKEN is not a valid token/],
    ['403', () => ((gl.readOnly = true), forge()), /answered 403: 403 Forbidden; the token lacks the permission: it needs the api scope and the Reporter role/],
    ['404', () => new GitLabForge({ apiUrl: gl.apiUrl, projectUrl: '', projectId: '999', token: gl.token, target: { kind: 'pull', number: MR } }), /answered 404: 404 Project Not Found; check the project id/],
  ])('%s gives one line naming the cause', async (_status, make, message) => {
    const error = await failure(make());
    expect(error.message).toMatch(/^GitLab: could not (read the notes of|comment on) merge request !12 in project \d+: (GET|POST) /);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('glpat-');
  });

  it('a 429 waits as Retry-After says', async () => {
    gl.script.push({ status: 429, headers: { 'retry-after': '2' }, body: { message: 'Retry later' } });
    const p = plan({ assistants: [create('a')] });
    expect(await publishComments(forge(), { key, parts: partsOf(p), mode: 'update' })).toMatchObject({ created: 1 });
    expect(waits).toEqual([2000]);
  });

  it('a note GitLab refuses as invalid says why', async () => {
    gl.script.push({ status: 200, body: [], headers: { 'x-next-page': '' } }, { status: 400, body: { message: { note: ['is too long (maximum is 1000000 characters)'] } } });
    const error = await failure(forge());
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain('answered 400: note is too long (maximum is 1000000 characters)');
  });
});
