/**
 * Run events across replicas: the events are rows of `run_events` (run, sequence number),
 * written in the transaction of the change they report, and a commit NOTIFYs the run's id
 * on the schema's channel. Each replica keeps one LISTEN connection; a notification for a
 * run it streams makes it read the run's rows after the last it delivered, so followers
 * get every event in order with no gap, whichever replica wrote it. After the LISTEN
 * connection is lost (a database restart) it connects again and reads what it missed;
 * every POLL_MS it reads anyway, for the notification that might not have come. A stream
 * whose events cannot be read for OUTAGE_MS ends with an `error` event.
 *
 * The same connection hears `reset` on the control channel: every replica then ends its
 * streams and drops its caches.
 */
import type { Client, Notification } from 'pg';
import type { AssistantStreamEvent } from '../../threads/events.js';
import type { FeedListener, RunEventFeed, SequencedEvent } from '../store.js';
import type { Query } from './pg-records.js';

const POLL_MS = 2_000;
const OUTAGE_MS = 10_000;
const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5_000;
/** Events read per query at most. */
const BATCH = 500;

interface Follower {
  next: number;
  listener: FeedListener;
}

interface Followed {
  followers: Set<Follower>;
  /** A read under way, and whether another is wanted after it. */
  reading: Promise<void> | undefined;
  again: boolean;
  /** Since when reads fail (ms), or undefined. */
  failingSince: number | undefined;
}

export interface FeedChannels {
  events: string;
  control: string;
}

export class PgFeed implements RunEventFeed {
  readonly #runs = new Map<string, Followed>();
  #client: Client | undefined;
  #closed = false;
  #reconnectDelay = RECONNECT_MIN_MS;
  #reconnectTimer: NodeJS.Timeout | undefined;
  readonly #poll: NodeJS.Timeout;
  /** Whether the LISTEN connection is up (readiness and stats). */
  listening = false;

  constructor(
    private readonly connect: () => Promise<Client>,
    private readonly query: Query,
    private readonly schema: string,
    private readonly channels: FeedChannels,
    private readonly onReset: () => void,
    private readonly log: (line: string) => void,
  ) {
    this.#poll = setInterval(() => {
      for (const runId of this.#runs.keys()) this.#read(runId);
    }, POLL_MS);
    this.#poll.unref();
  }

  /** Connects the LISTEN session (and keeps it connected until close). */
  async start(): Promise<void> {
    await this.#listen();
  }

  follow(runId: string, afterSeq: number, listener: FeedListener): () => void {
    let followed = this.#runs.get(runId);
    if (followed === undefined) {
      followed = { followers: new Set(), reading: undefined, again: false, failingSince: undefined };
      this.#runs.set(runId, followed);
    }
    const follower: Follower = { next: afterSeq + 1, listener };
    followed.followers.add(follower);
    this.#read(runId);
    return () => this.#unfollow(runId, follower);
  }

  /** Ends every stream (a reset, here or on another replica). */
  interruptAll(message: string): void {
    for (const [runId, followed] of [...this.#runs]) {
      for (const follower of [...followed.followers]) {
        this.#unfollow(runId, follower);
        follower.listener.interrupted(message);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    this.#client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  #unfollow(runId: string, follower: Follower): void {
    const followed = this.#runs.get(runId);
    if (followed === undefined) return;
    followed.followers.delete(follower);
    if (followed.followers.size === 0 && followed.reading === undefined) this.#runs.delete(runId);
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    let client: Client | undefined;
    try {
      client = await this.connect();
      client.on('notification', (message: Notification) => this.#notified(message));
      client.on('error', () => this.#lost(client));
      client.on('end', () => this.#lost(client));
      await client.query(`LISTEN "${this.channels.events}"`);
      await client.query(`LISTEN "${this.channels.control}"`);
      if (this.#closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.#client = client;
      this.listening = true;
      this.#reconnectDelay = RECONNECT_MIN_MS;
      // What was written while nobody listened.
      for (const runId of this.#runs.keys()) this.#read(runId);
    } catch {
      await client?.end().catch(() => undefined);
      this.#scheduleReconnect();
    }
  }

  #lost(client: Client | undefined): void {
    if (client === undefined || this.#client !== client) return;
    this.#client = undefined;
    this.listening = false;
    void client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#listen(), this.#reconnectDelay);
    this.#reconnectTimer.unref();
    this.#reconnectDelay = Math.min(RECONNECT_MAX_MS, this.#reconnectDelay * 2);
  }

  #notified(message: Notification): void {
    if (message.channel === this.channels.control) {
      if (message.payload === 'reset') this.onReset();
      return;
    }
    if (message.payload !== undefined && this.#runs.has(message.payload)) this.#read(message.payload);
  }

  /** Reads the run's new events and hands them out; one read per run at a time. */
  #read(runId: string): void {
    const followed = this.#runs.get(runId);
    if (followed === undefined) return;
    if (followed.reading !== undefined) {
      followed.again = true;
      return;
    }
    followed.reading = this.#readAll(runId, followed).finally(() => {
      followed.reading = undefined;
      if (followed.followers.size === 0) this.#runs.delete(runId);
      else if (followed.again) {
        followed.again = false;
        this.#read(runId);
      }
    });
  }

  async #readAll(runId: string, followed: Followed): Promise<void> {
    for (;;) {
      const from = Math.min(...[...followed.followers].map((follower) => follower.next));
      if (!Number.isFinite(from)) return;
      let rows: Array<{ seq: number; event: string }>;
      try {
        rows = (
          await this.query<{ seq: number; event: string }>(
            `SELECT seq, event FROM "${this.schema}".run_events WHERE run_id = $1 AND seq >= $2 ORDER BY seq LIMIT ${BATCH}`,
            [runId, from],
          )
        ).rows;
        followed.failingSince = undefined;
      } catch (error) {
        followed.failingSince ??= Date.now();
        if (Date.now() - followed.failingSince >= OUTAGE_MS) {
          this.log(`assistants serve: the events of run ${runId} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
          for (const follower of [...followed.followers]) {
            followed.followers.delete(follower);
            follower.listener.interrupted('The database is unavailable, so this stream cannot go on; follow the run by polling it.');
          }
        }
        return;
      }
      for (const row of rows) {
        const event: SequencedEvent = { seq: row.seq, event: JSON.parse(row.event) as AssistantStreamEvent };
        for (const follower of [...followed.followers]) {
          if (event.seq !== follower.next || !followed.followers.has(follower)) continue;
          follower.next = event.seq + 1;
          follower.listener.event(event);
        }
      }
      if (rows.length < BATCH) return;
    }
  }
}
