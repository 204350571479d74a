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
