/**
 * loadManifest: the manifest file -> the desired state for one environment, or every
 * problem at once, each with its file, line and column. Reads local files only; never
 * touches the network.
 *
 * read -> parse (positions) -> schema -> choose environment -> merge overrides ->
 * interpolate -> semantic checks -> read instructions/parameters, check attached files
 * -> hash (unchanged files: from the hash cache) -> desired state. checkManifest stops
 * before the hashing, which its CheckedManifest does when asked: a command can start its
 * requests between the two, once nothing is left that could be a problem in the manifest.
 */
import { dirname, relative, resolve } from 'node:path';
import { setImmediate } from 'node:timers';
import type { JsonObject } from '../json.js';
import { checkAttachedFile, hashAttachedFiles } from './attached-files.js';
import { assistantKeysOf, buildDesiredState, desiredHeader, type DesiredHeader } from './desired.js';
import { sortDiagnostics, type ManifestDiagnostic } from './diagnostics.js';
import { applyEnvironment, checkEnvironmentReferences, chooseEnvironment, declaredEnvironments, environmentEndpoint } from './environments.js';
import { FileHashCache, type FileIdentity } from './file-hash-cache.js';
import { interpolate } from './interpolate.js';
import { computeManifestHash } from './manifest-hash.js';
import { checkParametersSchema } from './parameters-schema.js';
import { realFolder, resolveManifestPath, resolveManifestPathSync } from './paths.js';
import { environmentSpecificParts } from './promotable.js';
import { childPointer } from './pointer.js';
import { readInstructionsFile, readParametersFile } from './referenced-text.js';
import { checkSchema } from './schema-check.js';
import { checkSemantics } from './semantic.js';
import { diagnosticAt, makeSourceFile, readSourceFile, type SourceFile } from './source-file.js';
import { diagnosticFor, entriesOf, isRecord, type Tree } from './tree.js';
import type { DesiredState } from './types.js';
import { parseYamlTree } from './yaml-tree.js';

export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;

export interface LoadOptions {
  /** The manifest, relative to `cwd`. */
  file: string;
  /** The environment; see chooseEnvironment for the rule when it is not given. */
  env?: string | undefined;
  cwd?: string | undefined;
  /** Let paths in the manifest leave its folder (off: a manifest cannot read ~/.ssh). */
  allowOutsidePaths?: boolean | undefined;
  /** Where ASSISTANTS_VAR_NAME is read from; default process.env. */
  processEnv?: NodeJS.ProcessEnv | undefined;
  /** `--var NAME=VALUE`: values for declared variables, over the environment's and the defaults. */
  variables?: Readonly<Record<string, string>> | undefined;
  /**
   * The file-hash cache (file-hash-cache.ts), being opened by the caller, to read and update; it
   * is saved where it can be, and the caller may save it again later (an apply, once it made
   * `.assistants/`). Without it every attached file is hashed.
   */
  hashCache?: Promise<FileHashCache> | undefined;
}

export type LoadResult =
  | { ok: true; desired: DesiredState; warnings: ManifestDiagnostic[] }
  | { ok: false; errors: ManifestDiagnostic[] };

/** A manifest read, parsed and shape-checked, ready to resolve for any environment. */
export interface ParsedManifest {
  source: SourceFile;
  tree: Tree;
  /** Declared environment names, in manifest order (empty: only `default`). */
  environments: string[];
  /** Shape problems, and overrides naming undeclared things: true in every environment. */
  errors: ManifestDiagnostic[];
}

export async function readManifest(
  options: Pick<LoadOptions, 'file' | 'cwd'>,
): Promise<{ ok: true; manifest: ParsedManifest } | { ok: false; errors: ManifestDiagnostic[] }> {
  const path = resolve(options.cwd ?? process.cwd(), options.file);
  const read = await readSourceFile(path, { maxBytes: MAX_MANIFEST_BYTES, what: 'a manifest' });
  if (!read.ok) {
    const at = makeSourceFile(path, '');
    return { ok: false, errors: [read.kind === 'content' ? read.diagnostic : diagnosticAt(at, 0, `manifest ${read.message}`)] };
  }
  const parsed = parseYamlTree(read.file, 'the manifest');
  if (!parsed.ok) return { ok: false, errors: sortDiagnostics(parsed.errors) };
  const tree = parsed.tree;
  return {
    ok: true,
    manifest: {
      source: read.file,
      tree,
      environments: declaredEnvironments(tree),
      errors: [...checkSchema(tree), ...checkEnvironmentReferences(tree)],
    },
  };
}

/**
 * A manifest with no problem in one environment, its attached files checked (there, of the
 * size they say) but not yet read: what a command needs to find its state and endpoint and
 * start its requests, while `desired` hashes the files.
 */
export interface CheckedManifest {
  header: DesiredHeader;
  /** The assistants' keys, in manifest order (--target and --replace are checked against them). */
  assistantKeys: string[];
  warnings: ManifestDiagnostic[];
  /**
   * The desired state: the attached files hashed (unchanged ones from the hash cache, which is
   * then saved), made on the first call and shared by the later ones. It fails only on I/O: a
   * file removed or made unreadable since it was checked.
   */
  desired(): Promise<DesiredState>;
}

export type CheckResult = { ok: true; checked: CheckedManifest } | { ok: false; errors: ManifestDiagnostic[] };

export async function loadManifest(options: LoadOptions): Promise<LoadResult> {
  const read = await readManifest(options);
  if (!read.ok) return read;
  return resolveManifest(read.manifest, options);
}

/** The manifest read and checked for one environment (see CheckedManifest). */
export async function checkManifest(options: LoadOptions): Promise<CheckResult> {
  const read = await readManifest(options);
  if (!read.ok) return read;
  return checkResolvedManifest(read.manifest, options);
}

/** The desired state of one environment of a parsed manifest. */
export async function resolveManifest(manifest: ParsedManifest, options: LoadOptions): Promise<LoadResult> {
  const result = await checkResolvedManifest(manifest, options);
  if (!result.ok) return result;
  return { ok: true, desired: await result.checked.desired(), warnings: result.checked.warnings };
}

async function checkResolvedManifest(manifest: ParsedManifest, options: LoadOptions): Promise<CheckResult> {
  const { tree, source } = manifest;
  const errors = [...manifest.errors];
  const choice = chooseEnvironment(tree, options.env);
  if (!choice.ok) return { ok: false, errors: sortDiagnostics([...errors, choice.error]) };
  const environment = choice.name;

  const merged = applyEnvironment(tree, environment);
  const interpolated = interpolate(tree, merged, environment, options.processEnv ?? process.env, options.variables);
  const resolved = interpolated.tree;
  const semantic = checkSemantics(resolved, tree);
  errors.push(...interpolated.errors, ...semantic.errors);
  const warnings = [...interpolated.warnings, ...semantic.warnings];

  // A path that failed to interpolate, or made with a sensitive variable, is an error already;
  // reading it would only add noise (and print the secret).
  const unreadable = new Set([...interpolated.failed, ...interpolated.sensitive]);
  const cache = options.hashCache ?? Promise.resolve(FileHashCache.none());
  const inputs = await readInputs(resolved, dirname(source.path), options.allowOutsidePaths ?? false, unreadable);
  errors.push(...inputs.errors);
  if (errors.length > 0) return { ok: false, errors: sortDiagnostics(errors) };

  const at = { resolved, environment, endpoint: environmentEndpoint(tree, environment), manifestPath: source.path };
  const make = async (): Promise<DesiredState> => {
    const files = await hashAttachedFiles(inputs.files, await cache);
    // Steps of 10-20 ms at 1,000 assistants: yielding between them, the caller's I/O (a plan's
    // listing, read meanwhile) is not held up for the whole.
    await new Promise((resolve) => setImmediate(resolve));
    const manifestHash = await computeManifestHash({
      manifestText: source.text,
      environment,
      texts: inputs.texts,
      files: new Map([...files].map(([name, file]) => [name, file.sha256])),
      variables: interpolated.variables,
    });
    await new Promise((resolve) => setImmediate(resolve));
    return buildDesiredState({
      ...at,
      manifestHash,
      instructions: inputs.instructions,
      parameters: inputs.parameters,
      files,
      sensitive: interpolated.sensitive,
      environmentSpecific: environmentSpecificParts(tree),
    });
  };
  let made: Promise<DesiredState> | undefined;
  return {
    ok: true,
    checked: { header: desiredHeader(at), assistantKeys: assistantKeysOf(resolved), warnings: sortDiagnostics(warnings), desired: () => (made ??= make()) },
  };
}

interface Inputs {
  errors: ManifestDiagnostic[];
  instructions: Map<string, string>;
  parameters: Map<string, JsonObject>;
  /** Attached files used in this environment, by name. */
  files: Map<string, { path: string; bytes: number; identity: FileIdentity }>;
  /** Every text file read, by path relative to the manifest's folder, for the hash. */
  texts: Map<string, string>;
}

/** Reads instructions and parameters files and checks attached files, for the resolved manifest. */
async function readInputs(resolved: Tree, manifestDir: string, allowOutsidePaths: boolean, skip: ReadonlySet<string>): Promise<Inputs> {
  const inputs: Inputs = { errors: [], instructions: new Map(), parameters: new Map(), files: new Map(), texts: new Map() };
  const root = isRecord(resolved.value) ? resolved.value : {};

  let realDir: Promise<string> | undefined;
  /** `subject` names the path in messages: `instructions_file "x.md"`. */
  const locate = async (pointer: string, subject: string, raw: string): Promise<string | undefined> => {
    if (skip.has(pointer)) return undefined;
    realDir ??= realFolder(manifestDir);
    const path = await resolveManifestPath(manifestDir, raw, allowOutsidePaths, realDir);
    if (path.ok) return path.path;
    inputs.errors.push(diagnosticFor(resolved, pointer, `${subject} ${path.message}`));
    return undefined;
  };

  const attached = new Set<string>();
  for (const [key, assistant] of entriesOf(root.assistants)) {
    if (!isRecord(assistant)) continue;
    const at = childPointer('/assistants', key);
    if (Array.isArray(assistant.files)) for (const name of assistant.files) if (typeof name === 'string') attached.add(name);

    const instructionsFile = assistant.instructions_file;
    if (typeof instructionsFile === 'string' && instructionsFile !== '') {
      const pointer = childPointer(at, 'instructions_file');
      const path = await locate(pointer, `instructions_file "${instructionsFile}"`, instructionsFile);
      if (path !== undefined) {
        const read = await readInstructionsFile(path);
        if (read.ok) {
          inputs.instructions.set(pointer, read.value);
          inputs.texts.set(relative(manifestDir, path), read.source.text);
        } else if ('access' in read) inputs.errors.push(diagnosticFor(resolved, pointer, `instructions_file "${instructionsFile}" ${read.access}`));
        else inputs.errors.push(...read.errors);
      }
    }

    const tools = Array.isArray(assistant.tools) ? assistant.tools : [];
    for (const [index, tool] of tools.entries()) {
      const fn = isRecord(tool) ? tool.function : undefined;
      if (!isRecord(fn) || typeof fn.parameters_file !== 'string' || fn.parameters_file === '') continue;
      const pointer = childPointer(childPointer(childPointer(childPointer(at, 'tools'), index), 'function'), 'parameters_file');
      const path = await locate(pointer, `parameters_file "${fn.parameters_file}"`, fn.parameters_file);
      if (path === undefined) continue;
      const read = await readParametersFile(path);
      if (!read.ok) {
        if ('access' in read) inputs.errors.push(diagnosticFor(resolved, pointer, `parameters_file "${fn.parameters_file}" ${read.access}`));
        else inputs.errors.push(...read.errors);
        continue;
      }
      inputs.texts.set(relative(manifestDir, path), read.source.text);
      const label = typeof fn.name === 'string' ? `parameters of function "${fn.name}"` : 'parameters';
      const problems = checkParametersSchema(read.value, '', label);
      if (problems.length > 0) inputs.errors.push(...problems);
      else if (isRecord(read.value.value)) inputs.parameters.set(pointer, read.value.value);
    }
  }

  // Thousands of files: their paths and sizes are checked without the thread pool (paths.ts), in manifest order.
  const named = entriesOf(root.files).filter(([name, file]) => attached.has(name) && isRecord(file) && typeof file.path === 'string' && file.path !== '');
  const realManifestDir = named.length > 0 ? await (realDir ?? realFolder(manifestDir)) : manifestDir;
  const realFolders = new Map<string, string>();
  for (const [name, file] of named) {
    const raw = (file as { path: string }).path;
    const pointer = childPointer(childPointer('/files', name), 'path');
    if (skip.has(pointer)) continue;
    const subject = `file "${name}" (${raw})`;
    const located = resolveManifestPathSync(manifestDir, raw, allowOutsidePaths, realManifestDir, realFolders);
    const check = located.ok ? checkAttachedFile(located.path, located.stats) : located;
    if (located.ok && check.ok) inputs.files.set(name, { path: located.path, bytes: check.bytes, identity: check.identity });
    else if (!check.ok) inputs.errors.push(diagnosticFor(resolved, pointer, `${subject} ${check.message}`));
  }
  return inputs;
}
