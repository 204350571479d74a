/**
 * `assistants validate [-f FILE] [--env NAME] [--json] [--print]`: schema and semantic
 * checks of the manifest and its behaviour tests, no network. Without --env, a manifest that declares environments is checked
 * in every one of them.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UserError } from '../../errors.js';
import { displayPath, formatDiagnostic, loadTests, readManifest, resolveManifest, redactDesired, type DesiredState, type ManifestDiagnostic } from '../../manifest/index.js';
import { DEFAULT_ENVIRONMENT } from '../../default-environment.js';
import { codeQualityReport, type QualityProblem } from '../../forge/gitlab-reports.js';
import { writeFileAtomic } from '../../atomic-file.js';
import { annotate, annotates, formatOption, repositoryPath, type DiagnosticFormatOptions } from '../annotations.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { addOptions, MANIFEST, requireManifest, type ManifestOptions } from '../options.js';

interface ValidateOptions extends ManifestOptions, DiagnosticFormatOptions {
  json?: boolean;
  print?: boolean;
  codequality?: string;
}

interface Outcome {
  file: string;
  environments: Array<{ name: string; desired: DesiredState; tests: number }>;
  errors: ManifestDiagnostic[];
  warnings: ManifestDiagnostic[];
}

export function register(program: Command, io: CliIo): void {
  const command = addOptions(
    program.command('validate'),
    [
      new Option('--json', 'print the result as JSON on stdout: errors, warnings and the resolved desired state'),
      new Option('--print', 'print the resolved desired state of each environment as YAML on stdout'),
      formatOption(),
      new Option('--codequality <file>', 'write the problems as a GitLab Code Quality report (artifacts:reports:codequality)'),
    ],
    MANIFEST,
  );
  addHelp(command, {
    summary: 'Check the manifest and its tests without touching the network',
    about:
      'Checks the schema, limits, references, variables and files of the manifest and its behaviour tests, in every environment it declares (or in --env), ' +
      'and prints every problem as FILE:LINE:COLUMN: what is wrong. No request is sent and no state is read.',
    examples: [
      ['assistants validate', 'check ./assistants.yaml'],
      ['assistants validate -f infra --env prod --print', 'check infra/assistants.yaml and print what prod resolves to'],
    ],
  });
  command.action(async (options: ValidateOptions) => {
      await requireManifest(options, io);
      const annotated = annotates(options, io);
      const outcome = await validate(options, io);
      if (annotated) {
        for (const error of outcome.errors) annotate(io, 'error', error);
        for (const warning of outcome.warnings) annotate(io, 'warning', warning);
      }
      if (options.codequality) await writeCodeQuality(resolve(io.cwd, options.codequality), outcome, io);
      if (options.json) {
        io.stdout.write(`${JSON.stringify(toJson(outcome, io.cwd), null, 2)}\n`);
        if (outcome.errors.length > 0) io.exitCode = 1;
        return;
      }
      for (const warning of outcome.warnings) io.stderr.write(`Warning: ${formatDiagnostic(warning, io.cwd)}\n`);
      if (outcome.errors.length > 0) {
        const count = outcome.errors.length;
        throw new UserError(
          'MANIFEST_INVALID',
          `${outcome.file} is invalid: ${count} problem${count === 1 ? '' : 's'}.`,
          outcome.errors.map((d) => formatDiagnostic(d, io.cwd)),
        );
      }
      const summary = `${summarize(outcome)}\n`;
      if (options.print) {
        // The YAML writer only for --print: a plain validate never loads the yaml library.
        const { stringify } = await import('yaml');
        io.stdout.write(outcome.environments.map(({ desired }) => stringify(printable(desired, io.cwd), { lineWidth: 0 })).join('---\n'));
        io.stderr.write(summary);
      } else io.stdout.write(summary);
    });
}

async function validate(options: ValidateOptions, io: CliIo): Promise<Outcome> {
  const file = displayPath(resolve(io.cwd, options.file), io.cwd);
  const read = await readManifest({ file: options.file, cwd: io.cwd });
  if (!read.ok) return { file, environments: [], errors: read.errors, warnings: [] };
  const { manifest } = read;
  const every = options.env === undefined && manifest.environments.length > 0;
  const names = every ? manifest.environments : [options.env];

  const environments: Outcome['environments'] = [];
  // A problem found in only some environments says which.
  const errors = new Map<string, { diagnostic: ManifestDiagnostic; in: string[] }>();
  const warnings = new Map<string, ManifestDiagnostic>();
  for (const env of names) {
    const result = await resolveManifest(manifest, {
      file: options.file,
      env,
      cwd: io.cwd,
      allowOutsidePaths: options.allowOutsidePaths,
      processEnv: io.env,
      variables: options.var,
    });
    // The behaviour tests are checked against each environment's manifest too.
    const tests = result.ok ? await loadTests(manifest, result.desired) : null;
    if (result.ok && tests?.ok) {
      // Everything validate prints comes from here: sensitive values never leave.
      environments.push({ name: result.desired.environment, desired: redactDesired(result.desired), tests: tests.tests.length });
      for (const w of result.warnings) warnings.set(formatDiagnostic(w), w);
      continue;
    }
    for (const e of result.ok ? (tests?.ok === false ? tests.errors : []) : result.errors) {
      const id = formatDiagnostic(e);
      const entry = errors.get(id) ?? { diagnostic: e, in: [] };
      entry.in.push(env ?? DEFAULT_ENVIRONMENT);
      errors.set(id, entry);
    }
  }
  const all = [...errors.values()].map(({ diagnostic, in: envs }) =>
    every && envs.length < names.length ? { ...diagnostic, message: `${diagnostic.message} (in environment ${envs.join(', ')})` } : diagnostic,
  );
  return { file, environments, errors: all, warnings: [...warnings.values()] };
}

/** The problems as GitLab Code Quality issues, paths relative to the repository (CI_PROJECT_DIR). */
async function writeCodeQuality(path: string, outcome: Outcome, io: CliIo): Promise<void> {
  const root = io.env.CI_PROJECT_DIR || io.cwd;
  const problem = (severity: QualityProblem['severity']) => (d: ManifestDiagnostic): QualityProblem =>
    ({ path: repositoryPath(d.file, root), line: d.line, column: d.column, message: d.message, severity });
  const issues = codeQualityReport([...outcome.errors.map(problem('error')), ...outcome.warnings.map(problem('warning'))]);
  await writeFileAtomic(path, `${JSON.stringify(issues, null, 2)}\n`);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function summarize(outcome: Outcome): string {
  const names = outcome.environments.map((e) => e.name);
  const assistants = new Set(outcome.environments.flatMap((e) => Object.keys(e.desired.assistants)));
  const files = new Set(outcome.environments.flatMap((e) => Object.keys(e.desired.files)));
  const tests = Math.max(0, ...outcome.environments.map((e) => e.tests));
  const envs = names.length === 1 ? `env ${names[0] ?? DEFAULT_ENVIRONMENT}` : `envs ${names.join(', ')}`;
  return `${outcome.file}: valid (${envs}): ${plural(assistants.size, 'assistant')}, ${plural(files.size, 'file')}${tests > 0 ? `, ${plural(tests, 'test')}` : ''}.`;
}

function relativeDiagnostic(d: ManifestDiagnostic, cwd: string): ManifestDiagnostic {
  return { ...d, file: displayPath(d.file, cwd) };
}

function toJson(outcome: Outcome, cwd: string): object {
  return {
    valid: outcome.errors.length === 0,
    file: outcome.file,
    errors: outcome.errors.map((d) => relativeDiagnostic(d, cwd)),
    warnings: outcome.warnings.map((d) => relativeDiagnostic(d, cwd)),
    environments: outcome.environments.map(({ name, desired }) => ({ name, desired })),
  };
}

/** The desired state as a reviewer reads it (printed as YAML): paths relative, the manifest's own (snake_case) names. */
function printable(desired: DesiredState, cwd: string): object {
  const view = {
    project: desired.project,
    environment: desired.environment,
    manifest_hash: desired.manifestHash,
    assistants: Object.fromEntries(
      Object.values(desired.assistants).map((a) => [
        a.key,
        { ...a.spec, files: a.files, lifecycle: { prevent_destroy: a.lifecycle.preventDestroy, ignore_changes: a.lifecycle.ignoreChanges } },
      ]),
    ),
    files: Object.fromEntries(
      Object.values(desired.files).map((f) => [f.name, { path: displayPath(f.path, cwd), bytes: f.bytes, sha256: f.sha256 }]),
    ),
  };
  return view;
}
