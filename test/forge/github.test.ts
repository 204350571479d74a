/**
 * The comment thread on GitHub, against the stand-in of the documented REST endpoints:
 * found again through pagination, updated in place, split into parts that each fit,
 * edits and deletions by a person handled, labels, and one clear line for each error
 * GitHub documents, never showing the token.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishComments, partLimit } from '../../src/forge/comments.js';
import { ForgeError } from '../../src/forge/errors.js';
import { GitHubForge, GITHUB_COMMENT_LIMIT } from '../../src/forge/github.js';
import { setOutcomeLabel } from '../../src/forge/labels.js';
import { parseMarker } from '../../src/forge/marker.js';
import { renderMarkdownParts } from '../../src/render/index.js';
import { create, destroy, plan, view } from '../render/plan-builder.js';
import { GitHubStandIn } from './github-stand-in.js';

const PR = 7;
const key = { kind: 'plan' as const, project: 'shop', environment: 'prod' };
let gh: GitHubStandIn;
let waits: number[];

beforeEach(async () => {
  gh = await new GitHubStandIn().start();
  waits = [];
});
afterEach(async () => gh.close());

function forge(options: { token?: string; target?: { kind: 'pull' | 'issue'; number: number } } = {}): GitHubForge {
  return new GitHubForge({
    apiUrl: gh.url,
    serverUrl: 'https://github.com',
    repository: gh.repository,
    token: options.token ?? gh.token,
    target: options.target ?? { kind: 'pull', number: PR },
    http: { backoffMs: 1, sleep: async (ms) => void waits.push(ms) },
  });
}

const smallPlan = (instructions = 'Hello') => plan({ assistants: [create('support', view({ instructions }))] });
const partsOf = (p: ReturnType<typeof plan>) => renderMarkdownParts(p, { maxPartLength: partLimit({ commentLimit: GITHUB_COMMENT_LIMIT }) });

describe('the plan comment on a pull request', () => {
  it('is posted once, then updated in place (found past 150 other comments), and left alone when nothing changed', async () => {
    for (let i = 0; i < 150; i += 1) gh.seed(PR, `LGTM ${i}`);
    const first = smallPlan('Hello');
    const posted = await publishComments(forge(), { key, parts: partsOf(first), planHash: first.planHash, mode: 'update' });
    expect(posted).toMatchObject({ created: 1, updated: 0 });
    const id = posted.commentIds[0];

    const edited = smallPlan('Hello, world');
    const again = await publishComments(forge(), { key, parts: partsOf(edited), planHash: edited.planHash, mode: 'update' });
    expect(again).toMatchObject({ created: 0, updated: 1, commentIds: [id] });
    const ours = gh.commentsOn(PR).filter((c) => parseMarker(c.body) !== null);
    expect(ours).toHaveLength(1);
    expect(ours[0]?.body).toContain('Hello, world');
    expect(parseMarker(ours[0]!.body)).toMatchObject({ ...key, part: 1, parts: 1, planHash: edited.planHash, intact: true });
    // Two pages of 100 were read, following the Link header.
    expect(gh.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toContain(`/repos/${gh.repository}/issues/${PR}/comments?per_page=100&page=2`);

    const writes = gh.requests.filter((r) => r.method !== 'GET').length;
    expect(await publishComments(forge(), { key, parts: partsOf(edited), planHash: edited.planHash, mode: 'update' })).toMatchObject({ unchanged: 1 });
    expect(gh.requests.filter((r) => r.method !== 'GET').length).toBe(writes);
  });

  it('splits a plan of 500 assistants with long instructions into comments that each fit and balance, and shrinks the thread when the plan does', async () => {
    const instructions = Array.from({ length: 40 }, (_, i) => `Step ${i}: look the order up, then answer in two sentences.`).join('\n');
    const big = plan({ assistants: Array.from({ length: 500 }, (_, i) => create(`assistant-${i}`, view({ instructions }))) });
    const result = await publishComments(forge(), { key, parts: partsOf(big), planHash: big.planHash, mode: 'update' });
    const bodies = gh.commentsOn(PR).map((c) => c.body);
    expect(bodies.length).toBe(result.created);
    expect(bodies.length).toBeGreaterThan(5);
    bodies.forEach((body, index) => {
      expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
      expect(body.match(/<details>/g)?.length ?? 0).toBe(body.match(/<\/details>/g)?.length ?? 0);
      expect((body.match(/^`{3,}/gm)?.length ?? 0) % 2).toBe(0);
      expect(parseMarker(body)).toMatchObject({ part: index + 1, parts: bodies.length, intact: true });
      expect(body).toContain(index === 0 ? `this is part 1 of ${bodies.length}` : `part ${index + 1} of ${bodies.length}**`);
    });
    expect(bodies[0]).toMatch(/^<!-- assistants-iac [^\n]+ -->\n<!-- assistants plan: part 1 of \d+ -->\n### Plan for project "shop", environment "prod"\n\n\*\*Plan: 500 to add, 0 to change, 0 to destroy\.\*\*/);

    const small = smallPlan();
    const shrunk = await publishComments(forge(), { key, parts: partsOf(small), planHash: small.planHash, mode: 'update' });
    expect(shrunk).toMatchObject({ updated: 1, deleted: bodies.length - 1 });
    expect(gh.commentsOn(PR)).toHaveLength(1);
  });

  it('posts a new comment when a person edited ours (leaving their edit) or deleted it', async () => {
    const p = smallPlan();
    await publishComments(forge(), { key, parts: partsOf(p), planHash: p.planHash, mode: 'update' });
    const mine = gh.commentsOn(PR)[0]!;
    mine.body = `${mine.body}\nI approve this plan. -- a reviewer`;
    const after = await publishComments(forge(), { key, parts: partsOf(p), planHash: p.planHash, mode: 'update' });
    expect(after).toMatchObject({ created: 1, edited: 1 });
    expect(gh.commentsOn(PR)[0]?.body).toContain('-- a reviewer');

    gh.comments.set(PR, []);
    expect(await publishComments(forge(), { key, parts: partsOf(p), planHash: p.planHash, mode: 'update' })).toMatchObject({ created: 1 });
    expect(gh.commentsOn(PR)).toHaveLength(1);
  });

  it('with mode new, marks the old comment outdated and posts a new one; other projects\' comments are not touched', async () => {
    const other = gh.seed(PR, '<!-- assistants-iac kind=plan project=other environment=prod part=1/1 digest=0000000000000000 -->\nnot ours');
    const p = smallPlan();
    await publishComments(forge(), { key, parts: partsOf(p), planHash: p.planHash, mode: 'new' });
    const result = await publishComments(forge(), { key, parts: partsOf(p), planHash: p.planHash, mode: 'new' });
    expect(result).toMatchObject({ created: 1, outdated: 1 });
    const [, old, fresh] = gh.commentsOn(PR);
    expect(parseMarker(old!.body)).toMatchObject({ outdated: true });
    expect(old!.body).toContain('**Outdated:** a newer plan for project "shop", environment "prod" was posted below.');
    expect(parseMarker(fresh!.body)).toMatchObject({ outdated: false, planHash: p.planHash });
    expect(gh.commentsOn(PR)[0]).toEqual(other);
  });

  it('labels the pull request by outcome and takes the previous outcome off', async () => {
    expect(await setOutcomeLabel(forge(), smallPlan())).toBe('shop/prod: add or update');
    expect(await setOutcomeLabel(forge(), plan({ assistants: [destroy('legacy', 'asst_1')] }))).toBe('shop/prod: destroy');
    expect(gh.issueLabels.get(PR)).toEqual(['shop/prod: destroy']);
    expect(gh.repoLabels.get('shop/prod: destroy')).toBe('d93f0b');
  });
});

describe('GitHub errors', () => {
  const failure = async (setup: () => void, f = forge()): Promise<ForgeError> => {
    setup();
    const p = smallPlan();
    const error = await publishComments(f, { key, parts: partsOf(p), planHash: p.planHash, mode: 'update' }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeError);
    return error as ForgeError;
  };

  it('401: the token is named as invalid, and never shown (even when the server echoes it)', async () => {
    const error = await failure(() => {}, forge({ token: 'ghp_wrongToken9876543210' }));
    expect(error.kind).toBe('unauthorized');
    expect(error.message).toMatch(/^GitHub: could not read the comments of pull request #7 in acme\/assistants-config: GET \/repos\/acme\/assistants-config\/issues\/7\/comments answered 401: Bad credentials \(Bearer \[redacted\]\); GITHUB_TOKEN is not a valid token/);
    expect(error.message).not.toContain('ghp_wrongToken9876543210');
  });

  it('403 for a read-only token names the missing permission', async () => {
    const error = await failure(() => (gh.readOnly = true));
    expect(error.kind).toBe('forbidden');
    expect(error.message).toContain('answered 403: Resource not accessible by integration; the token lacks the permission issues: write or pull-requests: write');
  });

  it('404 for another repository says what to check', async () => {
    const f = new GitHubForge({ apiUrl: gh.url, serverUrl: 'https://github.com', repository: 'acme/other', token: gh.token, target: { kind: 'pull', number: PR } });
    const error = await failure(() => {}, f);
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain('answered 404: Not Found; check GITHUB_REPOSITORY and the number');
  });

  it('422 says what GitHub refused', async () => {
    const error = await failure(() => gh.script.push({ status: 200, body: [] }, { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }] } }));
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain('POST /repos/acme/assistants-config/issues/7/comments answered 422: Validation Failed (body is too long (maximum is 65536 characters))');
  });

  it('a 5xx on a read is retried with backoff, then reported', async () => {
    const error = await failure(() => gh.script.push({ status: 502 }, { status: 502 }, { status: 503, body: { message: 'Service Unavailable' } }));
    expect(error.kind).toBe('server');
    expect(error.message).toContain('answered 503: Service Unavailable');
    expect(waits).toEqual([1, 2]);
  });

  it('a 5xx on a create is not retried: it may have landed', async () => {
    const error = await failure(() => gh.script.push({ status: 200, body: [] }, { status: 502 }));
    expect(error.message).toContain('POST /repos/acme/assistants-config/issues/7/comments answered 502');
    expect(waits).toEqual([]);
  });

  it('a secondary rate limit waits as retry-after says, then goes on', async () => {
    gh.script.push({ status: 403, headers: { 'retry-after': '3' }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' } });
    const p = smallPlan();
    expect(await publishComments(forge(), { key, parts: partsOf(p), planHash: p.planHash, mode: 'update' })).toMatchObject({ created: 1 });
    expect(waits).toEqual([3000]);
  });

  it('a rate limit longer than a minute fails at once, saying when to try again', async () => {
    const error = await failure(() => gh.script.push({ status: 429, headers: { 'retry-after': '600' }, body: { message: 'You have exceeded a secondary rate limit.' } }));
    expect(error.kind).toBe('rate-limited');
    expect(error.message).toContain('answered 429: You have exceeded a secondary rate limit. (try again in 600 s)');
    expect(waits).toEqual([]);
  });

  it('never follows a Link to another origin with the token', async () => {
    const error = await failure(() => gh.script.push({ status: 200, body: [], headers: { link: '<https://evil.example/steal?page=2>; rel="next"' } }));
    expect(error.message).toContain('the API pointed to https://evil.example, not');
  });
});
