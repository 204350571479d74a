/**
 * The pacer and the retry loop of jobs of many requests (src/api/paced-retry.ts), on a
 * fake clock, with failures built as the transport builds them (retry.ts responseError).
 */
import { describe, expect, it } from 'vitest';
import { APIConnectionError } from '../../src/api/errors.js';
import { Pacer, retryPaced } from '../../src/api/paced-retry.js';
import { classifyFailure, responseError } from '../../src/api/retry.js';
import { FakeClock } from '../support/fake-clock.js';

const DETAILS = { method: 'POST', path: '/assistants', baseUrl: 'http://fake/v1' };
const answer = (status: number, headers: Record<string, string> = {}) => responseError({ ...DETAILS, status }, (name) => headers[name]);
const dropped = () => new APIConnectionError({ ...DETAILS, reason: 'ECONNRESET' });

/** A request that fails with each of `failures` in turn, then answers `ok`. */
function scripted(failures: Error[]): { send: () => Promise<string>; sent: () => number } {
  let sent = 0;
  return {
    send: async () => {
      const failure = failures[sent++];
      if (failure) throw failure;
      return 'ok';
    },
    sent: () => sent,
  };
}

describe('classifyFailure', () => {
  it('reads the decision the transport made', () => {
    expect(classifyFailure(answer(429))).toEqual({ kind: 'rate-limited', ambiguous: false, retryAfterMs: null });
    expect(classifyFailure(answer(429, { 'retry-after': '2' }))).toMatchObject({ kind: 'rate-limited', retryAfterMs: 2_000 });
    expect(classifyFailure(answer(503))).toMatchObject({ kind: 'transient', ambiguous: true });
    expect(classifyFailure(answer(503, { 'x-should-retry': 'false' }))).toMatchObject({ kind: 'fatal', ambiguous: false });
    expect(classifyFailure(answer(400, { 'x-should-retry': 'true' }))).toMatchObject({ kind: 'transient' });
    expect(classifyFailure(answer(404))).toMatchObject({ kind: 'not-found' });
    expect(classifyFailure(answer(400))).toMatchObject({ kind: 'fatal' });
    expect(classifyFailure(dropped())).toMatchObject({ kind: 'transient', ambiguous: true });
    expect(classifyFailure(new Error('a bug'))).toMatchObject({ kind: 'fatal' });
    expect(answer(503, { 'x-should-retry': 'false', 'x-other': 'y' }).headers).toEqual({ 'x-should-retry': 'false' });
  });
});

describe('Pacer', () => {
  /** When each of `n` requests that ask at once may start, in ms from now. */
  async function starts(clock: FakeClock, pacer: Pacer, n: number): Promise<number[]> {
    const t0 = clock.now();
    const started: number[] = [];
    await Promise.all(Array.from({ length: n }, async () => {
      await pacer.ready();
      started.push(clock.now() - t0);
    }));
    return started;
  }

  it('a 429 holds every request until the wait the server named, then spaces them by it', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock);
    pacer.rateLimited(300);
    // A wait under a second is the time the server needs per request: the spacing.
    expect(await starts(clock, pacer, 3)).toEqual([300, 600, 900]);
  });

  it('429s of one burst slow the pool once; a later burst widens the spacing by a quarter', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock);
    for (let i = 0; i < 5; i++) pacer.rateLimited(300);
    expect(await starts(clock, pacer, 3)).toEqual([300, 600, 900]);
    await clock.sleep(1_000);
    pacer.rateLimited(300);
    expect(await starts(clock, pacer, 3)).toEqual([300, 675, 1_050]);
  });

  it('successes narrow the spacing back to none', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock);
    pacer.rateLimited(100);
    await starts(clock, pacer, 1);
    for (let i = 0; i < 1_000; i++) pacer.succeeded();
    expect(await starts(clock, pacer, 3)).toEqual([100, 100, 100]);
  });

  it('an aborted signal ends a wait at once', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock);
    pacer.rateLimited(60_000);
    const before = clock.now();
    const stop = new AbortController();
    const waiting = pacer.ready(stop.signal);
    stop.abort();
    await expect(waiting).rejects.toThrow();
    expect(clock.now()).toBe(before);
  });
});

describe('retryPaced', () => {
  it('429s spend no attempt; 5xx do', async () => {
    const clock = new FakeClock();
    const request = scripted([answer(429), answer(429), answer(429), answer(503)]);
    await expect(retryPaced(request.send, { pacer: new Pacer(clock), maxAttempts: 2 })).resolves.toBe('ok');
    expect(request.sent()).toBe(5);
    const failing = scripted([answer(503), answer(503)]);
    await expect(retryPaced(failing.send, { pacer: new Pacer(clock), maxAttempts: 2 })).rejects.toThrow(/503/);
    expect(failing.sent()).toBe(2);
  });

  it('looks for what an ambiguous failure may have made before sending again, and takes it', async () => {
    const clock = new FakeClock();
    const request = scripted([dropped()]);
    const windows: Array<{ startedAt: number; failedAt: number }> = [];
    const result = await retryPaced(request.send, {
      pacer: new Pacer(clock),
      maxAttempts: 3,
      recover: async (window) => {
        windows.push(window);
        return 'found';
      },
    });
    expect(result).toBe('found');
    expect(request.sent()).toBe(1);
    expect(windows).toHaveLength(1);
  });

  it('no look-up after a 429 or a failure that is not retried', async () => {
    const clock = new FakeClock();
    let lookups = 0;
    const recover = async (): Promise<string | null> => {
      lookups += 1;
      return null;
    };
    await retryPaced(scripted([answer(429)]).send, { pacer: new Pacer(clock), maxAttempts: 3, recover });
    await expect(retryPaced(scripted([answer(400)]).send, { pacer: new Pacer(clock), maxAttempts: 3, recover })).rejects.toThrow();
    expect(lookups).toBe(0);
  });

  it('a 404 resolves as done when the caller says so', async () => {
    const clock = new FakeClock();
    await expect(retryPaced(scripted([answer(404)]).send, { pacer: new Pacer(clock), maxAttempts: 3, notFound: () => 'gone' })).resolves.toBe('gone');
  });

  it('an abort during a backoff gives the request up without sending it again', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const request = scripted([answer(503), answer(503)]);
    const pending = retryPaced(request.send, { pacer: new Pacer(clock), maxAttempts: 5, signal: stop.signal, onRetry: () => stop.abort() });
    await expect(pending).rejects.toThrow('given up before it was sent (interrupted)');
    expect(request.sent()).toBe(1);
  });
});
