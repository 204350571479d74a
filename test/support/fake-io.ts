/** A CliIo for driving a command in-process: no terminal, no colour, output captured as text. */
import { PassThrough, Writable } from 'node:stream';
import { Interrupts } from '../../src/cli/interrupts.js';
import type { CliIo } from '../../src/cli/io.js';

export interface FakeIo extends CliIo {
  out(): string;
  err(): string;
}

export function fakeIo(cwd: string, env: NodeJS.ProcessEnv = {}): FakeIo {
  let out = '';
  let err = '';
  // Synchronous sinks: what a command wrote is readable as soon as it resolves.
  const sink = (append: (text: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  return {
    stdout: sink((text) => (out += text)),
    stderr: sink((text) => (err += text)),
    stdin: new PassThrough(),
    env,
    cwd,
    interactive: false,
    color: false,
    interrupts: new Interrupts(),
    exitCode: 0,
    out: () => out,
    err: () => err,
  };
}
