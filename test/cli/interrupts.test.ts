/**
 * The command's interrupt signals: every request of an apply carries `requests` (the
 * pool's waits and the client's requests each listen on it), so 64 at once must not look
 * like a listener leak to Node, which would print a warning on stderr.
 */
import { describe, expect, it } from 'vitest';
import { Interrupts } from '../../src/cli/interrupts.js';

describe('Interrupts', () => {
  it('takes a listener per request in flight without a leak warning', async () => {
    const seen: string[] = [];
    const note = (warning: Error): void => void seen.push(warning.name);
    process.on('warning', note);
    try {
      const interrupts = new Interrupts();
      for (let i = 0; i < 100; i++) {
        interrupts.requests.addEventListener('abort', () => undefined);
        interrupts.stop.addEventListener('abort', () => undefined);
      }
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', note);
    }
    expect(seen).toEqual([]);
  });
});
