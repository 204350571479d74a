/** The hidden first line that finds our comments again, and tells an edit by a person. */
import { describe, expect, it } from 'vitest';
import { markedBody, MARKER_RESERVE, parseMarker } from '../../src/forge/marker.js';

const key = { kind: 'plan' as const, project: 'shop', environment: 'prod' };

describe('the comment marker', () => {
  it('reads back what was written, and is intact until the text under it changes', () => {
    const body = markedBody(key, 2, 3, '**Plan: 1 to add.**\n', { planHash: 'a'.repeat(64) });
    expect(parseMarker(body)).toEqual({ ...key, part: 2, parts: 3, digest: expect.stringMatching(/^[0-9a-f]{16}$/), planHash: 'a'.repeat(64), outdated: false, intact: true });
    // A platform may turn newlines into CRLF or trim the end: still ours, untouched.
    expect(parseMarker(body.replace(/\n/g, '\r\n').trimEnd().replace(/^(.*?)\r\n/, '$1\n'))?.intact).toBe(true);
    expect(parseMarker(`${body}Approved. -- a reviewer\n`)?.intact).toBe(false);
    expect(parseMarker(`Quoting: ${body}`)).toBeNull();
  });

  it('fits its reserve at its longest', () => {
    const long = { kind: 'destroy' as const, project: 'p'.repeat(63), environment: 'e'.repeat(63) };
    const body = markedBody(long, 9999, 9999, 'x', { planHash: 'f'.repeat(64), outdated: true });
    expect(body.indexOf('\n') + 1).toBeLessThanOrEqual(MARKER_RESERVE);
    expect(parseMarker(body)).toMatchObject({ ...long, outdated: true, intact: true });
  });
});
