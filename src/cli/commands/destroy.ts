/** `assistants destroy`: delete every assistant and file this project and environment own. */
import type { Command } from 'commander';
import { planAndExecute } from '../apply-flow.js';
import type { CliIo } from '../io.js';
import { addApplyOptions, runAndComment, type ApplyCommandOptions } from './apply.js';

export function register(program: Command, io: CliIo): void {
  addApplyOptions(program.command('destroy'))
    .description('delete everything this project and environment own (lifecycle.prevent_destroy is honoured)')
    .action(async (options: ApplyCommandOptions) => {
      const { parallelism, lockTimeout: lockTimeoutMs } = options;
      await runAndComment(io, options, 'destroy', (onPlan) => planAndExecute(options, io, { mode: 'destroy', verb: 'destroy', parallelism, lockTimeoutMs, onPlan }));
    });
}
