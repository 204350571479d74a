/**
 * Apply's adaptive concurrency (src/apply/concurrency.ts): the limit alone, then whole
 * applies against fake servers on a fake clock: one that takes anything, one that queues,
 * one that answers 503 past a capacity, and a bound given with --parallelism.
 */
import { describe, expect, it } from 'vitest';
import { ADAPTIVE_LIMIT, AdaptiveLimit } from '../../src/apply/concurrency.js';
import { applyPlan } from '../../src/apply/executor.js';
import type { JournalEntry } from '../../src/state/journal.js';
import { FakeClock } from '../support/fake-clock.js';
import { desiredAssistant, desiredState, plan, stateFile } from '../plan/world.js';
import { FakeApplyApi } from './fake-api.js';

/** A pool that keeps the limit full: before each answer it sends until `limit` are in flight. */
class SaturatedPool {
  inFlight = 0;
  constructor(readonly limit: AdaptiveLimit) {}

  answer(n: number, outcome: Parameters<AdaptiveLimit['answered']>[0], latencyMs: number): this {
    for (let i = 0; i < n; i++) {
      for (; this.inFlight < this.limit.limit; this.inFlight++) void this.limit.sending();
      this.inFlight -= 1;
      this.limit.answered(outcome, latencyMs);
    }
    return this;
  }
}

describe('AdaptiveLimit', () => {
  it('starts at 10 and grows by one per answer (doubling each round trip) up to its bound', () => {
    const limit = new AdaptiveLimit(40, new FakeClock());
    expect(limit.limit).toBe(10);
    const pool = new SaturatedPool(limit).answer(10, 'ok', 20);
    expect(limit.limit).toBe(20);
    pool.answer(100, 'ok', 20);
    expect(limit.limit).toBe(40);
  });

  it('does not grow while the pool uses less than half of it', () => {
    const limit = new AdaptiveLimit(64, new FakeClock());
    for (let i = 0; i < 100; i++) {
      void limit.sending();
      limit.answered('ok', 20);
    }
    expect(limit.limit).toBe(10);
  });

  it('shrinks by a quarter on overload and a tenth on queueing, at most once a quarter second', async () => {
    const clock = new FakeClock();
    const limit = new AdaptiveLimit(64, clock);
    const pool = new SaturatedPool(limit).answer(20, 'ok', 20);
    expect(limit.limit).toBe(30);
    pool.answer(2, 'overloaded', 20);
    expect(limit.limit).toBe(22);
    await clock.sleep(300);
    // One slow answer is not queueing; a run of them is (once their average passes 2 x 20 + 25 ms).
    pool.answer(1, 'ok', 100);
    expect(limit.limit).toBe(22);
    pool.answer(10, 'ok', 100);
    expect(limit.limit).toBe(20);
  });

  it('a 429 only ends slow start', () => {
    const limit = new AdaptiveLimit(64, new FakeClock());
    new SaturatedPool(limit).answer(1, 'rate-limited', 20).answer(10, 'ok', 20);
    expect(limit.limit).toBe(10);
    new SaturatedPool(limit).answer(1, 'ok', 20);
    expect(limit.limit).toBe(11);
  });

  it('never goes below 1', async () => {
    const clock = new FakeClock();
    const limit = new AdaptiveLimit(64, clock);
    for (let i = 0; i < 20; i++) {
      void limit.sending();
      limit.answered('overloaded', 1);
      await clock.sleep(300);
    }
    expect(limit.limit).toBe(1);
  });
});

function creates(n: number) {
  const desired = desiredState(Array.from({ length: n }, (_, i) => desiredAssistant(`k${i}`)));
  return plan({ desired, state: null, live: { assistants: [], files: [] } });
}

async function applyCreates(api: FakeApplyApi, clock: FakeClock, n: number, parallelism?: number) {
  const journal: JournalEntry[] = [];
  const report = await applyPlan(creates(n), stateFile({}, {}), api, { append: async (e) => void journal.push(e) }, {
    parallelism,
    manifestDir: '/',
    clock,
  });
  return { report, journal };
}

describe('apply with adaptive concurrency', () => {
  it('reaches the default bound against a server that takes anything', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock);
    const { report } = await applyCreates(api, clock, 400);
    expect(report.done).toHaveLength(400);
    expect(api.maxInFlight).toBe(ADAPTIVE_LIMIT.max);
    // The first round trip is the old fixed default.
    expect(api.calls.filter((c) => c.startedAt === api.calls[0]?.startedAt)).toHaveLength(ADAPTIVE_LIMIT.initial);
  });

  it('never passes --parallelism', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock);
    await applyCreates(api, clock, 200, 25);
    expect(api.maxInFlight).toBe(25);
    const three = new FakeApplyApi(clock);
    await applyCreates(three, clock, 50, 3);
    expect(three.maxInFlight).toBe(3);
  });

  it('an operation waiting out a backoff holds no permit: the others go on meanwhile', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock).fail('createAssistant', { status: 500 }, 3, 'k0');
    const { report } = await applyCreates(api, clock, 20, 2);
    expect(report.done).toHaveLength(20);
    const k0 = api.callsOf('createAssistant').filter((c) => c.target === 'k0');
    expect(k0).toHaveLength(4);
    // Backoffs of 0.5, 1 and 2 s: the 19 others (10 ms each, two at a time) finish during the first.
    const others = api.callsOf('createAssistant').filter((c) => c.target !== 'k0');
    expect(Math.max(...others.map((c) => c.answeredAt ?? Infinity))).toBeLessThan(k0[1]!.startedAt);
    expect(api.maxInFlight).toBe(2);
  });

  it('backs off a server whose latency grows with the requests it holds', async () => {
    const clock = new FakeClock();
    // 10 ms alone, and 2 ms more for each request beside it: 40 in flight answer in 88 ms.
    const api = new FakeApplyApi(clock, (inFlight) => 10 + 2 * (inFlight - 1));
    const { report } = await applyCreates(api, clock, 600);
    expect(report.done).toHaveLength(600);
    const late = api.calls.slice(300);
    const inFlightAt = (t: number): number => api.calls.filter((c) => c.startedAt <= t && (c.answeredAt ?? Infinity) > t).length;
    expect(Math.max(...late.map((c) => inFlightAt(c.startedAt)))).toBeLessThan(ADAPTIVE_LIMIT.max);
  });

  it('settles under the capacity of a server that answers 503 past it, creating nothing twice', async () => {
    const clock = new FakeClock();
    const api = new FakeApplyApi(clock);
    api.capacity = 20;
    const { report, journal } = await applyCreates(api, clock, 500);
    expect(report.failed).toEqual([]);
    expect(report.done).toHaveLength(500);
    expect(api.assistants.size).toBe(500);
    expect(new Set(journal.map((e) => ('id' in e ? e.id : ''))).size).toBe(500);
    const overloaded = api.callsOf('createAssistant').length - 500;
    // A fixed 64 would have met the capacity on most requests; the limit keeps under it.
    expect(overloaded).toBeLessThan(100);
  });
});
