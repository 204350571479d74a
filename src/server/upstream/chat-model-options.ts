/**
 * How runs reach a real model: any server that speaks the Chat Completions API (OpenAI,
 * Ollama, vLLM, llama.cpp's server, LiteLLM or another gateway). The options as
 * `startServer` takes them, and resolved: the endpoint URL, the key, the model map.
 */

export interface ChatModelOptions {
  type: 'chat';
  /** The API's base URL, as for an OpenAI client (`http://127.0.0.1:11434/v1`); requests go to `<url>/chat/completions`. */
  upstreamUrl: string;
  /** Sent as `Authorization: Bearer <key>`. Never logged, never part of an error. */
  apiKey?: string;
  /**
   * The environment variable the key is read from, to name in a run's error when it was
   * not set (`--endpoint local` starts without it: only runs need it).
   */
  apiKeyEnv?: string;
  /** Model names as assistants and runs carry them -> the names the upstream knows; `*` maps every other name. */
  modelMap?: Record<string, string>;
  /** How long the upstream may stay silent (before its answer starts, or between two pieces of it); default 120 s. */
  timeoutMs?: number;
}

/** The model behind runs: the deterministic stand-in (the default) or a Chat Completions endpoint. */
export type ModelOptions = { type: 'stand-in' } | ChatModelOptions;

export interface ResolvedChatModel {
  type: 'chat';
  /** `<upstreamUrl>/chat/completions` */
  completionsUrl: URL;
  /** The base URL as given, for messages (it carries no credentials). */
  upstreamUrl: string;
  apiKey: string | undefined;
  apiKeyEnv: string | undefined;
  modelMap: ReadonlyMap<string, string>;
  timeoutMs: number;
}

export type ResolvedModel = { type: 'stand-in' } | ResolvedChatModel;

const DEFAULT_TIMEOUT_MS = 120_000;

/** The problem with a base URL for the upstream, or null when there is none. */
export function upstreamUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a URL: '${value}'`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, got '${url.protocol}'`;
  if (url.username !== '' || url.password !== '') return 'must not carry credentials: name the environment variable that holds the key instead';
  return null;
}

export function resolveModel(options: ModelOptions | undefined): ResolvedModel {
  if (options === undefined || options.type === 'stand-in') return { type: 'stand-in' };
  const problem = upstreamUrlProblem(options.upstreamUrl);
  if (problem !== null) throw new RangeError(`upstreamUrl ${problem}`);
  const completionsUrl = new URL(options.upstreamUrl);
  // A full endpoint URL is taken as it is; a base URL gets the endpoint's path.
  if (!/\/chat\/completions\/?$/.test(completionsUrl.pathname)) {
    completionsUrl.pathname = `${completionsUrl.pathname.replace(/\/+$/, '')}/chat/completions`;
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  if (options.apiKey === '') throw new RangeError('apiKey must not be empty');
  const modelMap = new Map(Object.entries(options.modelMap ?? {}));
  for (const [from, to] of modelMap) {
    if (from === '' || to === '') throw new RangeError('modelMap names must not be empty');
  }
  return {
    type: 'chat',
    completionsUrl,
    upstreamUrl: options.upstreamUrl,
    apiKey: options.apiKey,
    apiKeyEnv: options.apiKeyEnv,
    modelMap,
    timeoutMs,
  };
}

/** The name the upstream gets for a run's model: mapped, else the `*` entry, else unchanged. */
export function upstreamModel(model: ResolvedChatModel, runModel: string): string {
  return model.modelMap.get(runModel) ?? model.modelMap.get('*') ?? runModel;
}
