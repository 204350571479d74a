/**
 * Injected faults for testing clients: with probability `rate` a /v1 request gets one of
 * - a 500, 502 or 503 before it is processed (safe to retry),
 * - a dropped connection after it was processed and persisted (an ambiguous outcome),
 * - a stall: nothing is sent for `stallMs` (longer than a client's timeout), then it is
 *   processed and answered if the client is still there.
 * The sequence depends only on the seed and the order requests arrive in.
 */
import { ApiError } from './errors.js';

export type Fault = { kind: 'status'; status: 500 | 502 | 503 } | { kind: 'drop' } | { kind: 'stall' };

/** mulberry32: a tiny seeded PRNG with a uniform output in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Share of each fault kind among injected faults (cumulative thresholds). */
const MIX: ReadonlyArray<readonly [number, Fault]> = [
  [0.25, { kind: 'status', status: 500 }],
  [0.45, { kind: 'status', status: 502 }],
  [0.7, { kind: 'status', status: 503 }],
  [0.9, { kind: 'drop' }],
  [1, { kind: 'stall' }],
];

export class FaultInjector {
  private readonly random: () => number;

  constructor(
    private readonly rate: number,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  /** The fault for the next request, if any. Always draws twice, so the sequence is stable. */
  next(): Fault | undefined {
    const hit = this.random();
    const which = this.random();
    if (this.rate <= 0 || hit >= this.rate) return undefined;
    for (const [threshold, fault] of MIX) if (which < threshold) return fault;
    return { kind: 'stall' };
  }
}

export function faultError(status: 500 | 502 | 503): ApiError {
  switch (status) {
    case 500:
      return new ApiError(500, 'The server had an error while processing your request. Sorry about that!', {
        type: 'server_error',
      });
    case 502:
      return new ApiError(502, 'Bad gateway.', { type: 'cf_bad_gateway' });
    case 503:
      return new ApiError(503, 'The server is overloaded or not ready yet.', { type: 'server_error' });
  }
}
