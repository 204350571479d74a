/**
 * The model behind the local server's runs: from `serve`'s flags (`--model`,
 * `--upstream-url`, `--upstream-key-env`, `--model-map`, `--upstream-timeout`), or, for
 * `--endpoint local`, from `local-server.yaml` beside the manifest (docs/models.md). The
 * key is only ever read from the environment variable named, and goes nowhere but to
 * the server's options.
 */
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { formatDiagnostic, type ManifestDiagnostic } from '../manifest/index.js';
import { sortDiagnostics } from '../manifest/diagnostics.js';
import { makeSourceFile, readSourceFile } from '../manifest/source-file.js';
import { diagnosticFor, isRecord, type Tree } from '../manifest/tree.js';
import { parseYamlTree } from '../manifest/yaml-tree.js';
import { childPointer } from '../manifest/pointer.js';
import type { ModelOptions } from '../server/index.js';
import { upstreamUrlProblem } from '../server/upstream/chat-model-options.js';
import { parseDuration } from './option-parsers.js';

export interface ModelFlags {
  model?: string;
  upstreamUrl?: string;
  upstreamKeyEnv?: string;
  /** `NAME=UPSTREAM_NAME` pairs and YAML files, in the order given. */
  modelMap?: string[];
  upstreamTimeout?: string;
}

export interface ModelContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The file `--endpoint local` reads its server's model from, in the manifest's folder. */
export const LOCAL_SERVER_CONFIG = 'local-server.yaml';

/** In local-server.yaml, the key's variable must be one of these: see `localServerModel`. */
const LOCAL_KEY_PREFIX = 'ASSISTANTS_UPSTREAM_';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_CONFIG_BYTES = 64 * 1024;

/** `serve`'s model flags as server options; undefined for the stand-in. */
export async function modelFromFlags(flags: ModelFlags, context: ModelContext): Promise<ModelOptions | undefined> {
  const kind = flags.model ?? 'stand-in';
  if (kind !== 'stand-in' && kind !== 'chat') throw new UserError('USAGE', `--model must be stand-in or chat, got '${kind}'.`);
  if (kind === 'stand-in') {
    const stray = (
      [
        ['--upstream-url', flags.upstreamUrl],
        ['--upstream-key-env', flags.upstreamKeyEnv],
        ['--upstream-timeout', flags.upstreamTimeout],
        ['--model-map', flags.modelMap?.[0]],
      ] as const
    ).find(([, value]) => value !== undefined);
    if (stray !== undefined) throw new UserError('USAGE', `${stray[0]} is for --model chat; the stand-in model needs no upstream.`);
    return undefined;
  }
  if (flags.upstreamUrl === undefined) {
    throw new UserError('USAGE', '--model chat needs --upstream-url: the base URL of a Chat Completions API, such as http://127.0.0.1:11434/v1.');
  }
  const problem = upstreamUrlProblem(flags.upstreamUrl);
  if (problem !== null) throw new UserError('USAGE', `--upstream-url ${problem}.`);
  const options: ModelOptions = { type: 'chat', upstreamUrl: flags.upstreamUrl };
  if (flags.upstreamKeyEnv !== undefined) {
    const name = flags.upstreamKeyEnv;
    if (!ENV_NAME.test(name)) throw new UserError('USAGE', `--upstream-key-env takes the name of an environment variable, such as OPENAI_API_KEY, not '${name.slice(0, 8)}…'.`);
    const key = context.env[name];
    if (key === undefined || key === '') {
      throw new UserError('CONFIG', `--upstream-key-env names ${name}, which is not set: export it with the upstream's key, or leave the flag out for an upstream that needs none.`);
    }
    options.apiKey = key;
  }
  if (flags.modelMap !== undefined && flags.modelMap.length > 0) options.modelMap = await modelMapFromFlags(flags.modelMap, context.cwd);
  if (flags.upstreamTimeout !== undefined) options.timeoutMs = parseDuration(flags.upstreamTimeout, '--upstream-timeout', { positive: true });
  return options;
}

/** `--model-map` values: `gpt-4=llama3.1:8b` pairs and YAML files of such pairs; a later one wins. */
async function modelMapFromFlags(values: readonly string[], cwd: string): Promise<Record<string, string>> {
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals < 0) {
      Object.assign(map, await readModelMapFile(resolve(cwd, value), cwd, '--model-map: '));
      continue;
    }
    const from = value.slice(0, equals).trim();
    const to = value.slice(equals + 1).trim();
    if (from === '' || to === '') throw new UserError('USAGE', `--model-map '${value}': give NAME=UPSTREAM_NAME, such as gpt-4=llama3.1:8b, or a YAML file of such names.`);
    map[from] = to;
  }
  return map;
}

/**
 * The YAML file as a tree; undefined for a file that does not exist, when it may be
 * missing. `cause` starts the message of a file that cannot be read (`--model-map: `).
 */
async function readYaml(path: string, what: string, cwd: string, cause: string, optional: true): Promise<Tree | undefined>;
async function readYaml(path: string, what: string, cwd: string, cause: string): Promise<Tree>;
async function readYaml(path: string, what: string, cwd: string, cause: string, optional = false): Promise<Tree | undefined> {
  const read = await readSourceFile(path, { maxBytes: MAX_CONFIG_BYTES, what });
  if (!read.ok) {
    if (optional && read.kind === 'access' && read.message === 'does not exist') return undefined;
    if (read.kind === 'access') throw new UserError('CONFIG', `${cause}${path} ${read.message}.`);
    throw new UserError('CONFIG', formatDiagnostic(read.diagnostic, cwd));
  }
  const parsed = parseYamlTree(makeSourceFile(path, read.file.text), what);
  if (!parsed.ok) throw configProblems(parsed.errors, path, cwd);
  return parsed.tree;
}

function configProblems(diagnostics: readonly ManifestDiagnostic[], path: string, cwd: string): UserError {
  const [first, ...rest] = sortDiagnostics(diagnostics).map((d) => formatDiagnostic(d, cwd));
  if (rest.length === 0) return new UserError('CONFIG', first ?? `${path} could not be read.`);
  return new UserError('CONFIG', `${diagnostics.length} problems in ${path}.`, [first ?? '', ...rest]);
}

/** A mapping of model names to model names, at `pointer` of the tree; problems are added to `problems`. */
function modelMapAt(tree: Tree, pointer: string, value: unknown, problems: ManifestDiagnostic[]): Record<string, string> {
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!isRecord(value)) {
    problems.push(diagnosticFor(tree, pointer, 'the model map must be a mapping of model names to the names the upstream knows, such as gpt-4: llama3.1:8b'));
    return map;
  }
  for (const [from, to] of Object.entries(value)) {
    if (typeof to !== 'string' || to === '' || from === '') {
      problems.push(diagnosticFor(tree, childPointer(pointer, from), `'${from}' must map to the name of a model the upstream knows, as a string`));
    } else {
      map[from] = to;
    }
  }
  return map;
}

async function readModelMapFile(path: string, cwd: string, cause: string): Promise<Record<string, string>> {
  const tree = await readYaml(path, 'a model map', cwd, cause);
  const problems: ManifestDiagnostic[] = [];
  const map = modelMapAt(tree, '', tree.value, problems);
  if (problems.length > 0) throw configProblems(problems, path, cwd);
  return map;
}

/**
 * The model of `--endpoint local`'s server, from `local-server.yaml` in the manifest's
 * folder; undefined (the stand-in) when there is no such file. The key's variable must
 * start with ASSISTANTS_UPSTREAM_: a pull request that edits this file must not be able to
 * send another of the job's secrets (GITHUB_TOKEN, OPENAI_API_KEY) to a server it names.
 * A key variable that is not set is no error here (plan and apply run no model): the runs
 * that need it fail, naming it.
 */
export async function localServerModel(folder: string, context: ModelContext): Promise<ModelOptions | undefined> {
  const path = join(folder, LOCAL_SERVER_CONFIG);
  const tree = await readYaml(path, LOCAL_SERVER_CONFIG, context.cwd, '', true);
  if (tree === undefined) return undefined;
  const problems: ManifestDiagnostic[] = [];
  const at = (field: string, message: string, where: 'value' | 'key' = 'value'): void => {
    problems.push(diagnosticFor(tree, field === '' ? '' : `/${field}`, message, where));
  };
  if (!isRecord(tree.value)) {
    at('', `${LOCAL_SERVER_CONFIG} must be a mapping, such as "model: chat" and "upstream_url: http://127.0.0.1:11434/v1"`);
    throw configProblems(problems, path, context.cwd);
  }
  const config = tree.value;
  const known = new Set(['version', 'model', 'upstream_url', 'upstream_key_env', 'model_map', 'upstream_timeout']);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) at(key, `unknown field '${key}'; ${LOCAL_SERVER_CONFIG} has ${[...known].join(', ')}`, 'key');
  }
  if (config.version !== 1) at('version', 'version must be 1');
  const text = (field: string): string | undefined => {
    const value = config[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value === '') {
      at(field, `${field} must be a non-empty string`);
      return undefined;
    }
    return value;
  };
  const model = text('model') ?? 'stand-in';
  const url = text('upstream_url');
  const keyEnv = text('upstream_key_env');
  const timeout = text('upstream_timeout');
  let options: ModelOptions | undefined;
  if (model !== 'stand-in' && model !== 'chat') at('model', `model must be stand-in or chat, got '${model}'`);
  else if (model === 'stand-in') {
    for (const field of ['upstream_url', 'upstream_key_env', 'model_map', 'upstream_timeout']) {
      if (config[field] !== undefined) at(field, `${field} is for model: chat; the stand-in model needs no upstream`, 'key');
    }
  } else if (url === undefined) {
    at('model', 'model: chat needs upstream_url, the base URL of a Chat Completions API, such as http://127.0.0.1:11434/v1', 'key');
  } else {
    const problem = upstreamUrlProblem(url);
    if (problem !== null) at('upstream_url', `upstream_url ${problem}`);
    options = { type: 'chat', upstreamUrl: url };
    if (keyEnv !== undefined) {
      if (!ENV_NAME.test(keyEnv) || !keyEnv.startsWith(LOCAL_KEY_PREFIX)) {
        at('upstream_key_env', `upstream_key_env must name an environment variable that starts with ${LOCAL_KEY_PREFIX}, such as ${LOCAL_KEY_PREFIX}KEY: this file must not be able to send another secret to a server it names`);
      } else {
        options.apiKeyEnv = keyEnv;
        const key = context.env[keyEnv];
        if (key !== undefined && key !== '') options.apiKey = key;
      }
    }
    const map = config.model_map;
    if (typeof map === 'string') options.modelMap = await readModelMapFile(resolve(folder, map), context.cwd, `${LOCAL_SERVER_CONFIG}: model_map: `);
    else if (map !== undefined) options.modelMap = modelMapAt(tree, '/model_map', map, problems);
    if (timeout !== undefined) {
      try {
        options.timeoutMs = parseDuration(timeout, 'upstream_timeout', { positive: true });
      } catch (error) {
        at('upstream_timeout', error instanceof Error ? error.message : String(error));
      }
    }
  }
  if (problems.length > 0) throw configProblems(problems, path, context.cwd);
  return options;
}
