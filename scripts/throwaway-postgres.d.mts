/** Types for throwaway-postgres.mjs (the tests import it; the benchmark is plain JavaScript). */
export interface FoundPostgres {
  url: string;
  /** From ASSISTANTS_TEST_PG_CONN_STR, the local server at 127.0.0.1:5432, or a throwaway embedded one. */
  kind: 'given' | 'local' | 'embedded';
  stop(): Promise<void>;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
  /** Stops and starts the server on the same data, as a restart of the database would. */
  restart(): Promise<void>;
}

export function answers(url: string): Promise<boolean>;
export function postgresForTests(env?: NodeJS.ProcessEnv): Promise<FoundPostgres>;
export function startEmbeddedPostgres(options?: { password?: string }): Promise<EmbeddedPostgres>;
