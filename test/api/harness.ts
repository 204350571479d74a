/** Starts the real local server and a client configuration pointed at it. */
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import {
  AssistantsApi,
  FilesApi,
  createConfiguration,
  type Configuration,
  type ConfigurationOptions,
} from '../../src/index.js';

export const TEST_KEY = 'sk-test-Zq8vN3rT5yU7wX9aB1cD3eF5';

export interface Harness {
  server: RunningServer;
  configuration: Configuration;
  api: AssistantsApi;
  files: FilesApi;
  /** Another configuration against the same server; closed with the harness. */
  client(options?: ConfigurationOptions): { configuration: Configuration; api: AssistantsApi; files: FilesApi };
  /** Closes every configuration made here, then the server. */
  close(): Promise<void>;
}

/** One server per call; the caller closes it (`afterAll(() => h.close())`). */
export async function startHarness(serverOptions: ServerOptions = {}, clientOptions: ConfigurationOptions = {}): Promise<Harness> {
  const server = await startServer({ port: 0, ...serverOptions });
  const configurations: Configuration[] = [];
  const client = (options: ConfigurationOptions = {}) => {
    const configuration = createConfiguration({ apiKey: TEST_KEY, baseUrl: server.url, env: {}, ...clientOptions, ...options });
    configurations.push(configuration);
    return { configuration, api: new AssistantsApi(configuration), files: new FilesApi(configuration) };
  };
  const main = client();
  const close = async (): Promise<void> => {
    await Promise.all(configurations.map((c) => c.close()));
    await server.close();
  };
  return { server, ...main, client, close };
}
