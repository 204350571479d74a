/** Parsers for option values commander hands over as strings. */
import { UserError } from '../errors.js';

export function parsePositiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UserError('USAGE', `${flag} ${JSON.stringify(text)}: give a whole number of at least 1.`);
  return value;
}

/** Accumulates a repeatable option (`--target a --target b`); absent when never given. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A parser for an option that takes a whole number of at least 1. */
export function positiveInt(flag: string): (text: string) => number {
  return (text) => parsePositiveInt(text, flag);
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** The longest wait an option takes: longer is a typo, and past 2^31-1 ms Node's timers fire at once. */
const MAX_DURATION_MS = 24 * 3_600_000;

/**
 * Milliseconds in "500ms", "30s", "5m", "1h" or a bare number of seconds ("0", "10"), at
 * most 24h. `positive`: 0 is refused too (a request timeout of 0 fails every request).
 */
export function parseDuration(text: string, flag = '--lock-timeout', { positive = false } = {}): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const refuse = (problem: string): UserError => new UserError('USAGE', `${flag} ${JSON.stringify(text)}: ${problem}`);
  if (match === null) throw refuse(`expected a duration such as ${positive ? '' : '0, '}500ms, 30s, 5m or 1h`);
  const ms = Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1_000));
  if (ms > MAX_DURATION_MS) throw refuse('at most 24h');
  if (positive && ms === 0) throw refuse('must be longer than 0, or every request fails at once; give one such as 30s');
  return ms;
}
