/**
 * Asks on stderr and reads one line from stdin: true only for an exact "yes", like Terraform.
 * A Ctrl-C (or a closed stdin) is a no.
 */
import { createInterface } from 'node:readline';
import type { CliIo } from './io.js';

export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  let stopListening = (): void => {};
  try {
    io.stderr.write(`${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
      stopListening = io.interrupts.onInterrupt(() => resolve(''));
    });
    return answer.trim() === 'yes';
  } finally {
    stopListening();
    rl.close();
  }
}
