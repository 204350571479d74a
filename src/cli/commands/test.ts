/** `assistants test`: the behaviour tests beside the manifest, against the deployed assistants. */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { collect } from '../option-parsers.js';
import { addCommonOptions } from '../options.js';
import { addLockTimeoutOption, addStateOption } from '../state-options.js';
import { runTestCommand, type TestCommandOptions } from '../test-flow.js';

export function register(program: Command, io: CliIo): void {
  addLockTimeoutOption(addStateOption(addCommonOptions(program.command('test'))))
    .description('run the conversations of the tests: section and *.test.yaml beside the manifest against the deployed assistants')
    .option('--filter <name>', 'run only the tests with this name; * matches any characters (repeatable)', collect, [])
    .option('--parallelism <n>', 'conversations at once', '10')
    .option('--repeat <n>', 'run each test N times; it passes when its score reaches its threshold', '1')
    .option('--junit <file>', 'also write the results as JUnit XML (mode 0600)')
    .option('--json', 'print the results as JSON on stdout (schemas/test-report.schema.json)')
    .option('--markdown', 'print the results as Markdown on stdout, for a pull-request comment')
    .option('--ephemeral', 'apply the manifest into a throwaway environment, test it there, then destroy it')
    .action(async (options: TestCommandOptions) => {
      await runTestCommand(options, io);
    });
}
