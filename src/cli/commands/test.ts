/** `assistants test`: the behaviour tests beside the manifest, against the deployed assistants. */
import { Option, type Command } from 'commander';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { collect, positiveInt } from '../option-parsers.js';
import { addOptions, ENDPOINT, LOCK, MANIFEST, STATE } from '../options.js';
import { runTestCommand, type TestCommandOptions } from '../test-flow.js';

export function register(program: Command, io: CliIo): void {
  const command = addOptions(
    program.command('test'),
    [
      new Option('--filter <name>', 'run only the tests with this name; * matches any characters (repeatable)').argParser(collect),
      new Option('--parallelism <n>', 'conversations at once').argParser(positiveInt('--parallelism')).default(10),
      new Option('--repeat <n>', 'run each test N times (at most 100); it passes when its score reaches its threshold').argParser(positiveInt('--repeat')).default(1),
      new Option('--junit <file>', 'also write the results as JUnit XML (mode 0600)'),
      new Option('--json', 'print the results as JSON on stdout (schemas/test-report.schema.json)'),
      new Option('--markdown', 'print the results as Markdown on stdout, for a pull-request comment'),
      new Option('--ephemeral', 'apply the manifest into a throwaway environment, test it there, then destroy it'),
    ],
    MANIFEST,
    ENDPOINT,
    STATE,
    LOCK,
  );
  addHelp(command, {
    summary: 'Run the behaviour tests against the deployed assistants',
    about:
      'Runs the conversations of the manifest\'s tests: section and the *.test.yaml files beside it, with assertions on the replies, function calls, citations, ' +
      'tokens and latency; exits 1 when one fails. --ephemeral deploys a throwaway copy, tests it and destroys it.',
    examples: [
      ['assistants test --endpoint local', 'test against the built-in local server'],
      ['assistants test --ephemeral --junit results.xml', 'test a throwaway copy in CI and write a JUnit report'],
    ],
    exits: [3, 130],
  });
  command.action(async (options: TestCommandOptions) => {
      await runTestCommand(options, io);
    });
}
