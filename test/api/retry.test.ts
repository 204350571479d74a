import { describe, expect, test } from 'vitest';
import { RETRY_POLICY, isRetryableStatus, retryAfterMs, retryDelayMs } from '../../src/api/retry.js';

const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('retry policy', () => {
  test('statuses retried, and x-should-retry overrides', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504]) expect(isRetryableStatus(status, headers({}))).toBe(true);
    for (const status of [400, 401, 403, 404, 413, 422]) expect(isRetryableStatus(status, headers({}))).toBe(false);
    expect(isRetryableStatus(400, headers({ 'x-should-retry': 'true' }))).toBe(true);
    expect(isRetryableStatus(503, headers({ 'x-should-retry': 'false' }))).toBe(false);
  });

  test('retry-after-ms, then retry-after in seconds or as an HTTP date', () => {
    const now = Date.parse('2024-04-16T12:00:00Z');
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '2' }), now)).toBe(2_000);
    expect(retryAfterMs(headers({ 'retry-after': 'Tue, 16 Apr 2024 12:00:03 GMT' }), now)).toBe(3_000);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeNull();
    expect(retryAfterMs(headers({}), now)).toBeNull();
  });

  test('the server wait is used under 60 s; otherwise 0.5 s * 2^n capped at 8 s with up to 25% jitter', () => {
    expect(retryDelayMs(0, 1_500)).toBe(1_500);
    expect(retryDelayMs(0, 0)).toBe(0);
    expect(retryDelayMs(0, 60_000, () => 0)).toBe(500);
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(n, null, () => 0))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(retryDelayMs(1, null, () => 1)).toBe(1_000 * (1 - RETRY_POLICY.jitter));
  });
});
