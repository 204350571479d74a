/**
 * Server-sent events for `stream: true`: `event: <name>\ndata: <json>\n\n` for every event
 * of the run from the request's own first one, in sequence, until the run ends or waits
 * for tool outputs; then `event: done\ndata: [DONE]\n\n`. If the run can go no further (its
 * thread deleted, the server reset) the stream ends with an `error` event instead. Events
 * come from the store's feed, once the change each reports is durable, whichever replica
 * advanced the run. A client that goes away just stops receiving: the run carries on.
 */
import type { ServerResponse } from 'node:http';
import { RESPONDED } from '../router.js';
import type { RunEventFeed, SequencedEvent } from '../store/store.js';
import type { AssistantStreamEvent } from './events.js';
import { endsStream } from './events.js';

export function formatEvent(event: AssistantStreamEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export const DONE_EVENT = 'event: done\ndata: [DONE]\n\n';

/** Where a stream starts: the run, and the sequence number of the first event the request caused. */
export interface StreamStart {
  runId: string;
  firstSeq: number;
}

/**
 * Calls `begin` (which creates or resumes a run), then streams that run's events on `res`
 * from `firstSeq`. If `begin` throws, nothing is written and the error propagates (the
 * server answers it as JSON).
 */
export async function streamRun(res: ServerResponse, feed: RunEventFeed, begin: () => Promise<StreamStart>): Promise<typeof RESPONDED> {
  const { runId, firstSeq } = await begin();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let finished = false;
  let stop: (() => void) | undefined;
  const write = (text: string, last: boolean): void => {
    if (res.destroyed || res.writableEnded) return;
    if (last) res.end(text);
    else res.write(text);
  };
  const finish = (): void => {
    finished = true;
    stop?.();
  };
  stop = feed.follow(runId, firstSeq - 1, {
    event: ({ event }: SequencedEvent) => {
      if (finished) return;
      const ends = endsStream(event, runId);
      if (ends) finish();
      // An error ends the stream without `done`: the run did not get to an end of its own.
      if (event.event === 'error') return write(formatEvent(event), true);
      write(formatEvent(event), false);
      if (ends) write(DONE_EVENT, true);
    },
    interrupted: (message) => {
      if (finished) return;
      finish();
      write(formatEvent({ event: 'error', data: { message, type: 'invalid_request_error', param: null, code: null } }), true);
    },
  });
  res.on('close', finish);
  if (finished) stop();
  return RESPONDED;
}
