/**
 * `assistants export`: write a manifest (with instruction files and the attached files'
 * content) from the assistants at the endpoint, then print the `import` commands that
 * bring them under management.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { UserError } from '../../errors.js';
import { buildExport } from '../../export/export.js';
import { formatDiagnostic, loadManifest } from '../../manifest/index.js';
import { readWholeAccount } from '../planning.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { addOptions, ENDPOINT, LOCK, type EndpointOptions, type LockOptions } from '../options.js';
import { openSession } from '../session.js';

interface ExportOptions extends EndpointOptions, LockOptions {
  file: string;
  project: string;
  force?: boolean;
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function parseProject(text: string): string {
  if (!PROJECT_NAME.test(text)) {
    throw new UserError('USAGE', `--project ${JSON.stringify(text.slice(0, 80))}: use 1-63 lowercase letters, digits, _ or -, starting with a letter or digit.`);
  }
  return text;
}

export function register(program: Command, io: CliIo): void {
  const command = addOptions(
    program.command('export'),
    [
      new Option('-f, --file <path>', 'the manifest to write; its folder gets the instruction files and the attached files').default('assistants.yaml'),
      new Option('--project <name>', 'the project name to write into the manifest').argParser(parseProject).default('exported'),
      new Option('--force', 'overwrite files that already exist'),
    ],
    ENDPOINT,
    LOCK,
  );
  addHelp(command, {
    summary: 'Write a manifest from the assistants at the endpoint, and print the import commands',
    about:
      'Writes -f (and instruction files and the attached files beside it) from every assistant at the endpoint, then prints one "assistants import" command per ' +
      'assistant: run them to bring the assistants under management. Text from the server is written literally, never interpolated.',
    examples: [
      ['assistants export -f acme/assistants.yaml --project acme', 'write acme/assistants.yaml from the account of OPENAI_API_KEY'],
      ['assistants export --endpoint http://127.0.0.1:8787/v1 | sh', 'export another server, then import everything'],
    ],
    exits: [3, 130],
  });
  command.action(async (options: ExportOptions) => {
      const manifestPath = resolve(io.cwd, options.file);
      const folder = dirname(manifestPath);
      const session = await openSession(options, io, 'export');
      try {
        const live = await readWholeAccount(session);
        const result = buildExport({ project: options.project, assistants: live.assistants, files: live.files });
        const targets = [manifestPath, ...result.writes.map((w) => join(folder, w.path))];
        if (!options.force) {
          const existing = (await Promise.all(targets.map(async (path) => ((await exists(path)) ? path : null)))).filter((p) => p !== null);
          if (existing.length > 0) {
            throw new UserError('USAGE', `export would overwrite ${existing.map((p) => relative(io.cwd, p)).join(', ')}; choose another -f folder or pass --force.`);
          }
        }
        for (const write of result.writes) {
          const path = join(folder, write.path);
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, write.text ?? (await session.files.downloadFile({ fileId: write.fileId ?? '' })));
        }
        await writeFile(manifestPath, `# Exported by assistants from ${session.endpoint} on ${new Date().toISOString().slice(0, 10)}.\n${stringify(result.document, { lineWidth: 0 })}`);

        for (const warning of result.warnings) io.stderr.write(`Warning: ${warning}\n`);
        if (result.skipped.length > 0) {
          io.stderr.write(`Skipped ${result.skipped.length} assistant(s) that "assistants import" would refuse:\n`);
          for (const { id, name, reason } of result.skipped) io.stderr.write(`  ${id}${name === null ? '' : ` (${JSON.stringify(name)})`}: ${reason}\n`);
        }
        const check = await loadManifest({ file: manifestPath, cwd: io.cwd, processEnv: {} });
        if (!check.ok) for (const d of check.errors) io.stderr.write(`Warning: ${formatDiagnostic(d, io.cwd)}\n`);
        const file = relative(io.cwd, manifestPath);
        io.stderr.write(
          `Wrote ${file}: ${result.assistants.length} assistant(s), ${result.writes.filter((w) => w.fileId).length} file(s). ` +
            'To manage them, run the commands below (each tags an assistant as owned and records it):\n',
        );
        const endpoint = options.endpoint ? ['--endpoint', options.endpoint] : [];
        for (const { key, id } of result.assistants) {
          io.stdout.write(`${['assistants', 'import', key, id, '-f', file, ...endpoint].map(shellWord).join(' ')}\n`);
        }
      } finally {
        await session.close();
      }
    });
}

/** `word` as a POSIX shell reads it back: as it is when plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
