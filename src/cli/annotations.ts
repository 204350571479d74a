/**
 * `--format github`: manifest problems also as GitHub workflow commands, which annotate
 * the pull request where each problem is (validate and plan).
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { Option } from 'commander';
import { workflowCommand, type AnnotationLevel } from '../forge/workflow-command.js';
import type { ManifestDiagnostic } from '../manifest/diagnostics.js';
import type { CliIo } from './io.js';

export interface DiagnosticFormatOptions {
  /** `--format`: text, or github (workflow commands; the default under GitHub Actions). */
  format?: 'text' | 'github';
}

export function formatOption(): Option {
  return new Option('--format <text|github>', 'how manifest problems are reported: text, or github (also ::error workflow commands, which annotate the pull request; the default under GitHub Actions)').choices([
    'text',
    'github',
  ]);
}

/** Whether manifest problems are also printed as GitHub workflow commands. */
export function annotates(options: DiagnosticFormatOptions, io: CliIo): boolean {
  return (options.format ?? (io.env.GITHUB_ACTIONS === 'true' ? 'github' : 'text')) === 'github';
}

/** Prints one problem as a workflow command on stderr, its file relative to the repository (GITHUB_WORKSPACE). */
export function annotate(io: CliIo, level: AnnotationLevel, diagnostic: ManifestDiagnostic): void {
  const root = io.env.GITHUB_WORKSPACE || io.cwd;
  io.stderr.write(`${workflowCommand(level, diagnostic.message, { file: repositoryPath(diagnostic.file, root), line: diagnostic.line, col: diagnostic.column })}\n`);
}

/** `file` relative to `root` with `/` separators, or as given when outside it. */
export function repositoryPath(file: string, root: string): string {
  const rel = relative(root, resolve(root, file));
  return rel === '' || isAbsolute(rel) || rel.startsWith('..') ? file : rel.split('\\').join('/');
}
