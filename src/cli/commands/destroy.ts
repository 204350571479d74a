/** `assistants destroy`: delete every assistant and file this project and environment own. */
import type { Command } from 'commander';
import { planAndExecute } from '../apply-flow.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { addApplyOptions, runAndComment, type ApplyCommandOptions } from './apply.js';

export function register(program: Command, io: CliIo): void {
  addHelp(addApplyOptions(program.command('destroy')), {
    summary: 'Delete everything this project and environment own',
    about:
      'Deletes the assistants and uploaded files the state records for this project and environment, and the tagged ones it finds; nothing made by hand or by ' +
      'another project is touched. An assistant with lifecycle.prevent_destroy: true stops the destroy: set it to false (or remove the assistant from the manifest) first.',
    examples: [
      ['assistants destroy --env staging', 'show what would be deleted in staging, ask, then delete it'],
      ['assistants destroy --target support --auto-approve', 'delete only the assistant "support", without asking'],
    ],
    exits: [3, 130],
  }).action(async (options: ApplyCommandOptions) => {
      const { parallelism, lockTimeout: lockTimeoutMs } = options;
      await runAndComment(io, options, 'destroy', (onPlan) => planAndExecute(options, io, { mode: 'destroy', verb: 'destroy', parallelism, lockTimeoutMs, onPlan }));
    });
}
