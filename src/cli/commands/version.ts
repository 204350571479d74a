/** `assistants version` (and `--version`): the tool's version and the format versions it reads and writes. */
import type { Command } from 'commander';
import { MANIFEST_FORMAT_VERSION } from '../../manifest/types.js';
import { PLAN_FORMAT_VERSION } from '../../plan/types.js';
import { STATE_FORMAT_VERSION } from '../../state/types.js';
import { TOOL_VERSION } from '../../version.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';

export function versionText(): string {
  return `assistants ${TOOL_VERSION}\nmanifest format ${MANIFEST_FORMAT_VERSION}\nstate format ${STATE_FORMAT_VERSION}\nplan format ${PLAN_FORMAT_VERSION}\n`;
}

export function register(program: Command, io: CliIo): void {
  addHelp(program.command('version'), {
    summary: 'Print the version of the tool and of its manifest, state and plan formats',
    about: 'The formats are the versions of the manifest it reads (version: in assistants.yaml), and of the state and saved plans it writes (schemas/).',
    examples: [['assistants version', 'print the versions, one per line']],
  }).action(() => {
    io.stdout.write(versionText());
  });
}
