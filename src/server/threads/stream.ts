/**
 * Server-sent events for `stream: true`: `event: <name>\ndata: <json>\n\n` for every event
 * of the run, in the order the engine published them, until the run ends or waits for
 * tool outputs; then `event: done\ndata: [DONE]\n\n`. If the run can go no further (its
 * thread deleted, the server reset) the stream ends with an `error` event instead. Each
 * event is written only after the store has made the change it reports durable. A client
 * that goes away just stops receiving: the run carries on.
 */
import type { ServerResponse } from 'node:http';
import { RESPONDED } from '../router.js';
import type { AssistantStreamEvent, PublishedEvent, RunEventBus } from './events.js';
import { endsStream } from './events.js';
import type { RunObject } from './objects.js';

export function formatEvent(event: AssistantStreamEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export const DONE_EVENT = 'event: done\ndata: [DONE]\n\n';

export interface StreamDeps {
  bus: RunEventBus;
  /** Resolves once every change made so far is durable. */
  flush: () => Promise<void>;
}

/**
 * Calls `begin` (which creates or resumes a run and returns it) while listening to the
 * bus, then streams that run's events on `res`. If `begin` throws, nothing is written and
 * the error propagates (the server answers it as JSON).
 */
export function streamRun(res: ServerResponse, deps: StreamDeps, begin: () => RunObject): typeof RESPONDED {
  const early: PublishedEvent[] = [];
  let onEvent = (published: PublishedEvent): void => {
    early.push(published);
  };
  const unsubscribe = deps.bus.subscribe((published) => onEvent(published));
  let run: RunObject;
  try {
    run = begin();
  } catch (error) {
    unsubscribe();
    throw error;
  }

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let writes = Promise.resolve();
  let finished = false;
  const finish = (): void => {
    finished = true;
    unsubscribe();
  };
  res.on('close', finish);

  const write = (text: string, last: boolean): void => {
    writes = writes
      .then(() => deps.flush())
      .then(() => {
        if (res.destroyed || res.writableEnded) return;
        if (last) res.end(text);
        else res.write(text);
      })
      .catch(() => {
        res.destroy();
      });
  };
  const forward = (published: PublishedEvent): void => {
    if (finished || (published.threadId !== null && published.threadId !== run.thread_id)) return;
    const ends = endsStream(published.event, run.id);
    if (ends) finish();
    // An error ends the stream without `done`: the run did not get to an end of its own.
    if (published.event.event === 'error') return write(formatEvent(published.event), true);
    write(formatEvent(published.event), false);
    if (ends) write(DONE_EVENT, true);
  };
  onEvent = forward;
  for (const published of early) forward(published);
  return RESPONDED;
}
