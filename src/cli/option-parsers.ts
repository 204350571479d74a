/** Parsers for option values commander hands over as strings. */
import { UserError } from '../errors.js';

export function parsePositiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UserError('USAGE', `${flag} ${JSON.stringify(text)}: give a whole number of at least 1.`);
  return value;
}

/** Accumulates a repeatable option (`--target a --target b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds in "500ms", "30s", "5m", "1h" or a bare number of seconds ("0", "10"). */
export function parseDuration(text: string, flag = '--lock-timeout'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new UserError('USAGE', `${flag} ${JSON.stringify(text)}: expected a duration such as 0, 500ms, 30s, 5m or 1h`);
  }
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1_000));
}
