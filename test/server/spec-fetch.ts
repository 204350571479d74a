/**
 * A `fetch` for the official SDK that holds every answer of the local server to the v1
 * spec as it passes: a JSON answer to its operation's 200 response schema (or to
 * ErrorResponse), each event of a stream to AssistantStreamEvent. What does not validate
 * is collected in `problems`; `settled()` waits for the streams read beside the SDK.
 *
 *   const spec = specCheckingFetch();
 *   const openai = new OpenAI({ baseURL, apiKey, fetch: spec.fetch });
 *   ...
 *   expect(await spec.settled()).toEqual([]);
 */
import { operations, validatorFor } from './openapi-schemas.js';

export interface SpecCheckingFetch {
  fetch: typeof fetch;
  /** How many answers were checked. */
  checked(): number;
  /** Waits for the streams still being read, then returns the problems found. */
  settled(): Promise<string[]>;
}

/** The spec's operations as patterns, fewest parameters first: `/threads/runs` before `/threads/{thread_id}`. */
const ROUTES = Object.entries(operations)
  .map(([key, spec]) => {
    const [method, template] = key.split(' ') as [string, string];
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    return { method, pattern, spec, params: template.split('{').length };
  })
  .sort((a, b) => a.params - b.params);

/** A finished event stream's events, each `data` parsed (but `done`'s `[DONE]`). */
export function streamEvents(text: string): Array<{ event: string; data: unknown }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      return { event, data: event === 'done' ? data : (JSON.parse(data) as unknown) };
    });
}

export function specCheckingFetch(): SpecCheckingFetch {
  const problems: string[] = [];
  const reading: Array<Promise<void>> = [];
  let checked = 0;
  const check = (what: string, schema: string, value: unknown): void => {
    const validate = validatorFor(schema);
    checked++;
    if (!validate(value)) problems.push(`${what} (${schema}): ${JSON.stringify(validate.errors)}`);
  };
  const specFetch: typeof fetch = async (input, init) => {
    // The SDK sets content-length itself (as node-fetch allows); Node's fetch sets its own.
    const headers = new Headers(init?.headers);
    headers.delete('content-length');
    const response = await fetch(input, { ...init, headers });
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const what = `${method} ${url.pathname}`;
    const path = url.pathname.replace(/^\/v1/, '');
    const route = ROUTES.find((candidate) => candidate.method === method && candidate.pattern.test(path));
    const copy = response.clone();
    reading.push(
      (async () => {
        const type = copy.headers.get('content-type') ?? '';
        if (type.startsWith('text/event-stream')) {
          for (const event of streamEvents(await copy.text())) check(`${what} event ${event.event}`, 'AssistantStreamEvent', event);
        } else if (type.startsWith('application/json')) {
          const body: unknown = await copy.json();
          if (response.status !== 200) check(what, 'ErrorResponse', body);
          else if (route === undefined) problems.push(`${what}: no operation of the spec`);
          else check(what, route.spec.response, body);
        } else {
          await copy.arrayBuffer();
        }
      })().catch((error: unknown) => {
        problems.push(`${what}: ${String(error)}`);
      }),
    );
    return response;
  };
  return {
    fetch: specFetch,
    checked: () => checked,
    settled: async () => {
      await Promise.all(reading);
      return problems;
    },
  };
}
