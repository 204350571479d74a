/**
 * One database session (a connection). The state lock is a session-level advisory lock, so
 * it lives exactly as long as this session: when the process dies, or the server restarts,
 * the lock goes with the connection. `alive` turns false for good once the connection is
 * lost; a lost session is never reused.
 */
import type { Client, QueryResult, QueryResultRow } from 'pg';
import { loadPgDriver } from '../../pg-driver.js';
import { pgClientConfig, type PgConnection } from '../../pg-connection.js';

export type Query = <R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]) => Promise<QueryResult<R>>;

/**
 * The server checks a silent client after about a minute (idle 30 s, then 3 probes 10 s
 * apart), so a runner that vanished without closing its socket frees the lock then.
 */
const KEEPALIVES = 'SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3';

export class PgSession {
  private lost: Error | null = null;
  /** The end of the queue of work on this session. */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(private readonly client: Client) {
    // Without a listener, an error on an idle connection (a server restart) would crash the process.
    client.on('error', (error: Error) => {
      this.lost ??= error;
    });
    client.on('end', () => {
      this.lost ??= new Error('connection ended');
    });
  }

  static async connect(connection: PgConnection, applicationName: string): Promise<PgSession> {
    const { Client: PgClient } = loadPgDriver();
    const session = new PgSession(
      new PgClient(pgClientConfig(connection, applicationName)),
    );
    try {
      await session.client.connect();
      await session.client.query(KEEPALIVES);
    } catch (error) {
      await session.end();
      throw error;
    }
    return session;
  }

  get alive(): boolean {
    return this.lost === null;
  }

  /** Why the session was lost, once it was. */
  get lostWith(): Error | null {
    return this.lost;
  }

  /** One statement, after whatever runs on this session before it. */
  readonly query: Query = (text, values) => this.exclusive(() => this.client.query(text, values));

  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * Nothing else runs on the session meanwhile, so a concurrent statement (a journal
   * append) never lands inside someone else's transaction.
   */
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const inside: Query = (text, values) => this.client.query(text, values);
      await inside('BEGIN');
      let result: T;
      try {
        result = await work(inside);
      } catch (error) {
        if (this.alive) await inside('ROLLBACK').catch(() => undefined);
        throw error;
      }
      await inside('COMMIT');
      return result;
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  async end(): Promise<void> {
    this.lost ??= new Error('connection closed');
    await this.client.end().catch(() => undefined);
  }
}
