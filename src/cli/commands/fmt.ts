/**
 * `assistants fmt [--check]`: rewrite the manifest in its canonical layout, comments kept
 * (as `terraform fmt`); with --check, change nothing and fail when it is not in it (CI).
 */
import { randomBytes } from 'node:crypto';
import { rename, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UserError } from '../../errors.js';
import { displayPath } from '../../manifest/diagnostics.js';
import { formatManifest } from '../../manifest/format.js';
import { readSourceFile } from '../../manifest/source-file.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { addOptions, requireManifest, type ManifestOptions } from '../options.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;

export function register(program: Command, io: CliIo): void {
  const command = addOptions(program.command('fmt'), [new Option('--check', 'change nothing; exit 1 when the manifest is not in the canonical layout (for CI)')], ['file']);
  addHelp(command, {
    summary: 'Rewrite the manifest in its canonical layout, keeping its comments',
    about:
      'Two-space indents, the manifest\'s keys and each assistant\'s fields in the schema\'s order (name, model, description, instructions, tools, files, ' +
      'metadata, lifecycle), each with its comments; values are never changed, so the manifest means what it meant. Prints the file\'s name when it rewrote it.',
    examples: [
      ['assistants fmt', 'rewrite ./assistants.yaml'],
      ['assistants fmt --check', 'fail a CI job when the manifest is not formatted'],
    ],
  });
  command.action(async (options: Pick<ManifestOptions, 'file'> & { check?: boolean }) => {
    await requireManifest(options, io);
    const path = resolve(io.cwd, options.file);
    const shown = displayPath(path, io.cwd);
    const read = await readSourceFile(path, { maxBytes: MAX_MANIFEST_BYTES, what: 'a manifest' });
    if (!read.ok) throw new UserError('USAGE', read.kind === 'access' ? `${shown} ${read.message}.` : `${shown} cannot be formatted: ${read.diagnostic.message}.`);
    const formatted = formatManifest(read.file.text);
    if (!formatted.ok) {
      throw new UserError('MANIFEST_INVALID', `${shown} is not valid YAML, so it cannot be formatted.`, [`${shown}:${formatted.line}:${formatted.column}: ${formatted.message}`]);
    }
    if (!formatted.changed) return;
    if (options.check) throw new UserError('USAGE', `${shown} is not in the canonical layout; run "assistants fmt${options.file === 'assistants.yaml' ? '' : ` -f ${options.file}`}".`);
    // Replaced whole (a crash leaves the old file or the new one), with the file's own mode.
    const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, formatted.text, { mode: (await stat(path)).mode & 0o777 });
    await rename(temporary, path);
    io.stdout.write(`${shown}\n`);
  });
}
