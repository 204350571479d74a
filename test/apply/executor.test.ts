/**
 * The applier's retry rules, fast: plans made by the real planner, run against a fake of
 * the ApplyApi interface on a fake clock (minutes of backoff take milliseconds). The
 * end-to-end fault tests (test/e2e/faults.test.ts) hold the same rules against the real
 * server; these say which rule broke.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AssistantsApi, createConfiguration, FilesApi } from '../../src/api/index.js';
import { createApplyApi, type ApplyApi } from '../../src/apply/api.js';
import { applyPlan, type ApplyOptions, type ApplyReport, type ProgressEvent } from '../../src/apply/executor.js';
import { sha256Hex } from '../../src/plan/hash.js';
import { OWNERSHIP_METADATA_KEY } from '../../src/plan/ownership.js';
import { createPlan } from '../../src/plan/planner.js';
import { fieldHashes, liveView } from '../../src/plan/view.js';
import type { DesiredAssistant, DesiredFile } from '../../src/manifest/types.js';
import type { Plan } from '../../src/plan/types.js';
import { applyJournal, type JournalEntry } from '../../src/state/journal.js';
import type { StateFile } from '../../src/state/types.js';
import { FakeClock } from '../support/fake-clock.js';
import { makeTempDir } from '../support/temp-dir.js';
import { assistantRecord, desiredAssistant, MANIFEST, desiredState, liveFromDesired, stateFile } from '../plan/world.js';
import { FakeApplyApi } from './fake-api.js';

interface Scenario {
  plan: Plan;
  state: StateFile;
}

function planOf(desired: DesiredAssistant[], state: StateFile | null, api: FakeApplyApi, files: DesiredFile[] = []): Scenario {
  const { plan } = createPlan({
    desired: desiredState(desired, files),
    state,
    live: { assistants: [...api.assistants.values()], files: [] },
    mode: 'normal',
    manifest: 'assistants.yaml',
    targets: [],
    endpoint: 'http://fake/v1',
    toolVersion: 't',
    now: new Date(0),
  });
  return { plan, state: state ?? stateFile({}, {}) };
}

/** Assistants to create, one per key. */
function creating(api: FakeApplyApi, ...keys: string[]): Scenario {
  return planOf(keys.map((key) => desiredAssistant(key)), null, api);
}

/** Assistants applied and recorded as v1 whose manifest now says v2: one update each, ids `asst_KEY`. */
function updating(api: FakeApplyApi, ...keys: string[]): Scenario {
  const records = Object.fromEntries(
    keys.map((key) => {
      const live = liveFromDesired(`asst_${key}`, desiredAssistant(key));
      api.seed(live);
      return [key, assistantRecord(live, {})];
    }),
  );
  const v2 = keys.map((key) => desiredAssistant(key, { spec: { instructions: `You are ${key}, v2.` } }));
  return planOf(v2, stateFile(records, {}), api);
}

interface Run {
  report: ApplyReport;
  journal: JournalEntry[];
  events: ProgressEvent[];
}

async function run(scenario: Scenario, api: ApplyApi, clock: FakeClock, options: Partial<ApplyOptions> = {}): Promise<Run> {
  const journal: JournalEntry[] = [];
  const events: ProgressEvent[] = [];
  const report = await applyPlan(scenario.plan, scenario.state, api, { append: async (entry) => void journal.push(entry) }, {
    parallelism: 4,
    manifestDir: '/',
    clock,
    onProgress: (event) => events.push(event),
    ...options,
  });
  return { report, journal, events };
}

/** The folder of world.ts's manifest: the plan's file paths are relative to it. */
const MANIFEST_DIR = dirname(MANIFEST);

const ids = (report: ApplyReport, part: 'done' | 'skipped' | 'notStarted'): string[] => report[part].map((node) => node.id).sort();
const failedIds = (report: ApplyReport): string[] => report.failed.map((f) => f.node.id).sort();

describe('retries by status (6 attempts)', () => {
  it.each([408, 409, 500, 502, 503, 504])('%i is retried with backoff until the attempts run out', async (status) => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('modifyAssistant', { status }, 100);
    const { report, events } = await run(updating(api, 'a'), api, clock);
    expect(failedIds(report)).toEqual(['update a']);
    expect(api.callsOf('modifyAssistant')).toHaveLength(6);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(5);
    // 0.5 s * 2^n capped at 8 s (no jitter on this clock), between the request latencies.
    expect(clock.sleeps.filter((ms) => ms !== 10)).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
  });

  it.each([400, 401, 403, 404, 413, 422])('%i is not retried', async (status) => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('modifyAssistant', { status }, 100);
    const { report } = await run(updating(api, 'a'), api, clock);
    expect(failedIds(report)).toEqual(['update a']);
    expect(api.callsOf('modifyAssistant')).toHaveLength(1);
  });

  it('a 503 that clears is retried once and the operation recorded', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('modifyAssistant', { status: 503, headers: { 'retry-after-ms': '1500' } });
    const { report, journal } = await run(updating(api, 'a'), api, clock);
    expect(ids(report, 'done')).toEqual(['update a']);
    expect(api.callsOf('modifyAssistant')).toHaveLength(2);
    expect(clock.sleeps).toContain(1_500);
    expect(journal.map((e) => e.op)).toEqual(['assistant.updated']);
  });

  it('x-should-retry overrides the status either way', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock)
      .fail('modifyAssistant', { status: 503, headers: { 'x-should-retry': 'false' } }, 100, 'asst_a')
      .fail('modifyAssistant', { status: 400, headers: { 'x-should-retry': 'true' } }, 2, 'asst_b');
    const { report } = await run(updating(api, 'a', 'b'), api, clock);
    expect(failedIds(report)).toEqual(['update a']);
    expect(ids(report, 'done')).toEqual(['update b']);
    expect(api.calls.filter((c) => c.target === 'asst_a')).toHaveLength(1);
    expect(api.calls.filter((c) => c.target === 'asst_b')).toHaveLength(3);
  });

  it('a 404 on a delete means done; on an update it fails', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock);
    const scenario = updating(api, 'a');
    const deleting = planOf([], scenario.state, api);
    api.assistants.clear(); // deleted by someone else meanwhile
    const deleted = await run(deleting, api, clock);
    expect(ids(deleted.report, 'done')).toEqual(['delete a asst_a']);
    expect(deleted.journal).toMatchObject([{ op: 'assistant.deleted', key: 'a', id: 'asst_a' }]);
    const updated = await run(scenario, api, clock);
    expect(failedIds(updated.report)).toEqual(['update a']);
    expect(api.callsOf('modifyAssistant')).toHaveLength(1);
  });
});

describe('429 paces the pool and spends no attempt', () => {
  it('an operation throttled 20 times with 2 attempts allowed still succeeds, with no retry reported', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('modifyAssistant', { status: 429, headers: { 'retry-after-ms': '100' } }, 20);
    const { report, events } = await run(updating(api, 'a'), api, clock, { maxAttempts: 2 });
    expect(ids(report, 'done')).toEqual(['update a']);
    expect(api.callsOf('modifyAssistant')).toHaveLength(21);
    expect(events.filter((e) => e.type === 'throttled')).toHaveLength(20);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(0);
  });

  it('a 429 holds back every request of the pool for the wait the server named', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('modifyAssistant', { status: 429, headers: { 'retry-after-ms': '1000' } }, 1, 'asst_k0');
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const { report } = await run(updating(api, ...keys), api, clock, { parallelism: 2 });
    expect(ids(report, 'done')).toHaveLength(8);
    const throttledAt = api.calls.find((c) => c.target === 'asst_k0')?.answeredAt as number;
    const later = api.calls.filter((c) => c.startedAt >= throttledAt);
    expect(later.length).toBeGreaterThan(0);
    for (const call of later) expect(call.startedAt).toBeGreaterThanOrEqual(throttledAt + 1_000);
  });

  it('a 429 whose x-should-retry is false fails at once', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('modifyAssistant', { status: 429, headers: { 'x-should-retry': 'false' } }, 100);
    const { report } = await run(updating(api, 'a'), api, clock);
    expect(failedIds(report)).toEqual(['update a']);
    expect(api.callsOf('modifyAssistant')).toHaveLength(1);
  });
});

describe('a create that may have reached the server', () => {
  it.each(['dropped', 'timeout'] as const)('%s after processing: looked up by its tag, taken, never created twice', async (fault) => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('createAssistant', fault);
    const { report, journal } = await run(creating(api, 'a'), api, clock);
    expect(ids(report, 'done')).toEqual(['create a']);
    expect(api.callsOf('createAssistant')).toHaveLength(1);
    expect(api.callsOf('listAllAssistants')).toHaveLength(1);
    expect([...api.assistants.values()].map((a) => a.metadata?.[OWNERSHIP_METADATA_KEY])).toEqual(['shop/prod/a']);
    expect(journal).toMatchObject([{ op: 'assistant.created', key: 'a', id: [...api.assistants.keys()][0] }]);
  });

  it('a 5xx before processing: looked up, not found, sent again, one assistant', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('createAssistant', { status: 502 });
    const { report } = await run(creating(api, 'a'), api, clock);
    expect(ids(report, 'done')).toEqual(['create a']);
    expect(api.callsOf('createAssistant')).toHaveLength(2);
    // The look-up, and the look at the end for the first one landing late after all.
    expect(api.callsOf('listAllAssistants')).toHaveLength(2);
    expect(api.assistants.size).toBe(1);
  });

  it('a 429 is not ambiguous: no look-up', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('createAssistant', { status: 429 }, 3);
    const { report } = await run(creating(api, 'a'), api, clock);
    expect(ids(report, 'done')).toEqual(['create a']);
    expect(api.callsOf('listAllAssistants')).toHaveLength(0);
    expect(api.assistants.size).toBe(1);
  });

  it('twenty creates dropped at once each take their own assistant, none twice', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('createAssistant', 'dropped', 20);
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const { report, journal } = await run(creating(api, ...keys), api, clock, { parallelism: 20 });
    expect(ids(report, 'done')).toHaveLength(20);
    expect(api.callsOf('createAssistant')).toHaveLength(20);
    expect(api.assistants.size).toBe(20);
    expect(new Set(journal.map((e) => (e.op === 'assistant.created' ? e.id : '')))).toHaveProperty('size', 20);
  });

  it('an upload dropped after processing is found by name, size and content, not uploaded twice', async () => {
    const temp = await makeTempDir();
    const content = 'the faq\n';
    await writeFile(join(temp.dir, 'faq.md'), content);
    const faq: DesiredFile = { name: 'faq', path: join(temp.dir, 'faq.md'), filename: 'faq.md', bytes: content.length, sha256: sha256Hex(content) };
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('uploadFile', 'dropped');
    const scenario = planOf([desiredAssistant('a', { files: ['faq'] })], null, api, [faq]);
    const { report, journal } = await run(scenario, api, clock, { manifestDir: MANIFEST_DIR });
    expect(report.failed.map((f) => f.message)).toEqual([]);
    expect(ids(report, 'done')).toEqual(['create a', 'upload faq']);
    expect(api.callsOf('uploadFile')).toHaveLength(1);
    expect(api.files.size).toBe(1);
    const [fileId] = [...api.files.keys()];
    expect(journal.filter((e) => e.op === 'file.uploaded')).toMatchObject([{ name: 'faq', id: fileId }]);
    expect([...api.assistants.values()][0]?.fileIds).toEqual([fileId]);
    await temp.cleanup();
  });
});

describe('a request that lands after its look-up (the server still at work when the client gave up)', () => {
  async function faqWorld(): Promise<{ faq: DesiredFile; cleanup: () => Promise<void> }> {
    const temp = await makeTempDir();
    const content = 'the faq\n';
    await writeFile(join(temp.dir, 'faq.md'), content);
    return { faq: { name: 'faq', path: join(temp.dir, 'faq.md'), filename: 'faq.md', bytes: content.length, sha256: sha256Hex(content) }, cleanup: temp.cleanup };
  }

  it('an upload landing while it is sent again: the run deletes the leftover before it reports; only the recorded upload remains', async () => {
    const { faq, cleanup } = await faqWorld();
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('uploadFile', 'late');
    // The first upload lands as the second one is sent: after the look-up missed it.
    api.onRequest = (method) => method === 'uploadFile' && api.landLate();
    const scenario = planOf([desiredAssistant('a', { files: ['faq'] })], null, api, [faq]);
    const { report, journal } = await run(scenario, api, clock, { manifestDir: MANIFEST_DIR });
    expect(report.failed.map((f) => f.message)).toEqual([]);
    expect(api.callsOf('uploadFile')).toHaveLength(2);
    const state = applyJournal(scenario.state, journal);
    expect([...api.files.keys()]).toEqual([state.files.faq?.id]);
    expect([...api.assistants.values()][0]?.fileIds).toEqual([state.files.faq?.id]);
    expect(report.leftovers).toEqual([{ kind: 'file', name: 'faq', id: expect.stringMatching(/^file-/) }]);
    await cleanup();
  });

  it('an upload landing after the run: the state keeps when it may land, the next plan deletes it, the one after is clean', async () => {
    const { faq, cleanup } = await faqWorld();
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('uploadFile', 'late');
    const desired = [desiredAssistant('a', { files: ['faq'] })];
    const first = planOf(desired, null, api, [faq]);
    const { report, journal } = await run(first, api, clock, { manifestDir: MANIFEST_DIR });
    expect(report.failed.map((f) => f.message)).toEqual([]);
    expect(report.leftovers).toEqual([]);
    api.landLate();
    expect(api.files.size).toBe(2);
    const state = applyJournal(first.state, journal);
    const recorded = state.files.faq!.id;
    const stray = [...api.files.keys()].find((id) => id !== recorded)!;

    const replan = (at: StateFile): Plan =>
      createPlan({
        desired: desiredState(desired, [faq]),
        state: at,
        live: { assistants: [...api.assistants.values()], files: [...api.files.values()], uploadHashes: new Map([...api.files.values()].map((f) => [f.id, f.sha256])) },
        mode: 'normal',
        manifest: 'assistants.yaml',
        targets: [],
        endpoint: 'http://fake/v1',
        toolVersion: 't',
        now: new Date(clock.now()),
      }).plan;
    const second = replan(state);
    expect(second.files.filter((f) => f.action !== 'no-op')).toMatchObject([{ name: 'faq', action: 'delete', reason: 'orphan', id: stray }]);
    const cleaned = await run({ plan: second, state }, api, clock, { manifestDir: MANIFEST_DIR });
    expect(cleaned.report.failed).toEqual([]);
    expect([...api.files.keys()]).toEqual([recorded]);
    const third = replan(applyJournal(state, cleaned.journal));
    expect(third.files.filter((f) => f.action !== 'no-op')).toEqual([]);
    await cleanup();
  });

  it("a window that closed before the plan was made is settled by the plan's apply; one still open, or under --target, is kept", async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock);
    const window = (name: string, until: string) => ({ name, sha256: sha256Hex(name), bytes: 3, filename: `${name}.md`, since: '2026-01-01T00:00:00.000Z', until });
    const scenario = creating(api, 'a');
    const state: StateFile = { ...scenario.state, unsettledUploads: { [sha256Hex('old')]: window('old', '2026-01-01T01:00:00.000Z'), [sha256Hex('new')]: window('new', '2026-01-02T04:00:00.000Z') } };
    const plan = { ...scenario.plan, createdAt: '2026-01-02T03:00:00.000Z' };
    const { journal } = await run({ plan, state }, api, clock);
    expect(journal.filter((e) => e.op === 'file.upload-settled')).toMatchObject([{ sha256: sha256Hex('old') }]);
    const targeted = await run({ plan: { ...plan, targets: ['a'] }, state }, api, clock);
    expect(targeted.journal.filter((e) => e.op === 'file.upload-settled')).toEqual([]);
  });

  it('a create landing while it is sent again: the run deletes the duplicate before it reports', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('createAssistant', 'late');
    api.onRequest = (method) => method === 'createAssistant' && api.landLate();
    const scenario = creating(api, 'a');
    const { report, journal } = await run(scenario, api, clock);
    expect(report.failed).toEqual([]);
    const state = applyJournal(scenario.state, journal);
    expect([...api.assistants.keys()]).toEqual([state.assistants.a?.id]);
    expect(report.leftovers).toEqual([{ kind: 'assistant', name: 'a', id: expect.stringMatching(/^asst_/) }]);
  });

  it('a create landing after the run: the next plan deletes it as an orphan (its tag says whose it is)', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('createAssistant', 'late');
    const scenario = creating(api, 'a');
    const { journal } = await run(scenario, api, clock);
    api.landLate();
    const state = applyJournal(scenario.state, journal);
    const next = planOf([desiredAssistant('a')], state, api);
    const stray = [...api.assistants.keys()].find((id) => id !== state.assistants.a?.id);
    expect(next.plan.assistants.filter((a) => a.action !== 'no-op')).toMatchObject([{ key: 'a', action: 'delete', reason: 'orphan', id: stray }]);
  });
});

describe('what an action means', () => {
  it("a refresh-only plan's record sends nothing and writes the server's values into the state", async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock);
    const { state } = updating(api, 'a');
    const live = api.assistants.get('asst_a')!;
    live.name = 'Renamed by hand';
    const { plan } = createPlan({
      desired: desiredState([desiredAssistant('a')]),
      state,
      live: { assistants: [live], files: [] },
      mode: 'refresh-only',
      manifest: 'assistants.yaml',
      targets: [],
      endpoint: 'http://fake/v1',
      toolVersion: 't',
      now: new Date(0),
    });
    expect(plan.assistants.map((c) => c.action)).toEqual(['record']);
    const { report, journal } = await run({ plan, state }, api, clock);
    expect(ids(report, 'done')).toEqual(['record a']);
    expect(api.calls).toEqual([]);
    expect(journal).toMatchObject([{ op: 'assistant.updated', key: 'a', id: 'asst_a', applied: fieldHashes(liveView(live, new Map())) }]);
  });
});

describe('the journal', () => {
  it('no operation is reported done before its record is durable', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock);
    const scenario = creating(api, 'a', 'b');
    let release = (): void => undefined;
    const durable = new Promise<void>((resolve) => (release = resolve));
    const events: ProgressEvent[] = [];
    const journal: JournalEntry[] = [];
    const pending = applyPlan(scenario.plan, scenario.state, api, { append: async (entry) => { await durable; journal.push(entry); } }, {
      manifestDir: '/',
      clock,
      onProgress: (event) => events.push(event),
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(api.assistants.size).toBe(2);
    expect(events.filter((e) => e.type === 'done')).toEqual([]);
    release();
    const report = await pending;
    expect(ids(report, 'done')).toEqual(['create a', 'create b']);
    expect(journal.map((e) => e.op)).toEqual(['assistant.created', 'assistant.created']);
  });
});

describe('failures stay where they happen', () => {
  it('a failed operation does not stop the independent ones; its dependants are skipped', async () => {
    const temp = await makeTempDir();
    await writeFile(join(temp.dir, 'faq.md'), 'faq');
    const faq: DesiredFile = { name: 'faq', path: join(temp.dir, 'faq.md'), filename: 'faq.md', bytes: 3, sha256: sha256Hex('faq') };
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('uploadFile', { status: 400 }).fail('createAssistant', { status: 422 }, 1, 'b');
    const scenario = planOf([desiredAssistant('a', { files: ['faq'] }), desiredAssistant('b'), desiredAssistant('c'), desiredAssistant('d')], null, api, [faq]);
    const { report, journal } = await run(scenario, api, clock, { manifestDir: MANIFEST_DIR, parallelism: 1 });
    expect(failedIds(report)).toEqual(['create b', 'upload faq']);
    expect(ids(report, 'skipped')).toEqual(['create a']);
    expect(ids(report, 'done')).toEqual(['create c', 'create d']);
    expect(journal.filter((e) => e.op === 'assistant.created').map((e) => ('key' in e ? e.key : ''))).toEqual(['c', 'd']);
    await temp.cleanup();
  });
});

describe('Ctrl-C', () => {
  it('the first starts nothing new and records what was in flight', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock);
    let stop = false;
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const { report, journal } = await run(creating(api, ...keys), api, clock, {
      parallelism: 3,
      shouldStop: () => stop,
      onProgress: (event) => {
        if (event.type === 'done') stop = true;
      },
    });
    // The three in flight when the first finished all finish and are recorded.
    expect(report.done).toHaveLength(3);
    expect(report.notStarted).toHaveLength(7);
    expect(journal).toHaveLength(3);
    expect(api.assistants.size).toBe(3);
  });

  it('the second gives up an operation waiting out a backoff or the pacer at once', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock)
      .fail('modifyAssistant', { status: 503 }, 100, 'asst_a')
      .fail('modifyAssistant', { status: 429, headers: { 'retry-after': '30' } }, 100, 'asst_b');
    const interrupt = new AbortController();
    const pending = run(updating(api, 'a', 'b'), api, clock, {
      signal: interrupt.signal,
      onProgress: (event) => {
        if (event.type === 'retry' && event.attempt === 2) interrupt.abort();
      },
    });
    const { report } = await pending;
    expect(report.failed.map((f) => f.message)).toEqual(['given up before it was sent (interrupted)', 'given up before it was sent (interrupted)']);
    expect(api.callsOf('modifyAssistant').filter((c) => c.target === 'asst_a')).toHaveLength(2);
  });
});

describe('x-should-retry from a real server', () => {
  it('false stops apply from sending the request again', async () => {
    let requests = 0;
    const server = createServer((req, res) => {
      requests += 1;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json', 'x-should-retry': 'false' });
      res.end(JSON.stringify({ error: { message: 'maintenance', type: 'server_error', code: null, param: null } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const configuration = createConfiguration({ apiKey: 'k', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, env: {} });
    try {
      const clock = new FakeClock();
      const seedOnly = new FakeApplyApi(clock);
      const scenario = updating(seedOnly, 'a');
      const api = createApplyApi(new AssistantsApi(configuration), new FilesApi(configuration));
      const { report } = await run(scenario, api, clock);
      expect(failedIds(report)).toEqual(['update a']);
      expect(report.failed[0]?.message).toMatch(/\(503\): maintenance/);
      expect(requests).toBe(1);
    } finally {
      await configuration.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
