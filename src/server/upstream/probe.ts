/**
 * What `assistants serve` says at start about its Chat Completions upstream: whether it
 * answers `GET <url>/models` (with the key) within a few seconds. It starts either way;
 * runs fail, naming the problem, until the upstream answers. Never throws; the line never
 * holds the key.
 */
import { STATUS_CODES } from 'node:http';
import { request } from 'undici';
import { discard } from './chat-client.js';
import { resolveModel, type ChatModelOptions } from './chat-model-options.js';
import { oneLine } from './chat-response.js';

const PROBE_TIMEOUT_MS = 5000;

export async function probeUpstream(options: ChatModelOptions): Promise<string> {
  const model = resolveModel(options);
  if (model.type !== 'chat') return 'runs use the stand-in model';
  const base = `runs use the Chat Completions API at ${model.upstreamUrl}`;
  const modelsUrl = new URL(model.completionsUrl);
  modelsUrl.pathname = modelsUrl.pathname.replace(/\/chat\/completions\/?$/, '/models');
  try {
    const response = await request(modelsUrl, {
      headers: model.apiKey === undefined ? {} : { authorization: `Bearer ${model.apiKey}` },
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    discard(response.body);
    if (response.statusCode === 401 || response.statusCode === 403) {
      return `${base}, which answered ${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ''} to GET /models: check its key (--upstream-key-env); runs will fail until it accepts it`;
    }
    return `${base} (it answers)`;
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const cause = error instanceof Error ? ((error as { cause?: Error }).cause?.message ?? error.message) : String(error);
    const why = timedOut ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : oneLine(cause);
    return `${base}, which is not answering (${why}); runs will fail until it does`;
  }
}
