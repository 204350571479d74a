/** The SDK scenario (sdk-scenario.ts) against one embedded server. */
import { startTestServer } from '../support/server.js';
import { sdkScenario } from './sdk-scenario.js';

sdkScenario('one embedded server', async () => {
  const server = await startTestServer({ runStepMs: 2 });
  return { url: server.url, apiKey: server.apiKey, close: () => server.close() };
});
