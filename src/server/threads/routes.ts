/**
 * The thread, message, run and run-step routes (the 19 operations of the seed beyond
 * assistants), backed by the store and driven by the run engine.
 */
import type { ServerContext } from '../context.js';
import type { Router } from '../router.js';
import { ChatClient } from '../upstream/chat-client.js';
import { RunEngine } from './engine.js';
import { registerRunRoutes } from './run-routes.js';
import { registerThreadAndMessageRoutes } from './thread-routes.js';

/**
 * How many times a run's model turn may be started: once with the embedded store (a lone
 * server that died in a turn may have died of it), three times when replicas share the
 * data (a replica usually dies of something else: a deploy, a kill, a lost machine).
 */
const MAX_EXECUTIONS = { embedded: 1, shared: 3 } as const;

export async function registerThreadRoutes(router: Router, ctx: ServerContext): Promise<RunEngine> {
  const model = ctx.options.model;
  const chat = model.type === 'chat' ? new ChatClient(model) : undefined;
  const engine = new RunEngine(ctx.store, { model, chat, retrieval: ctx.retrieval }, {
    stepMs: ctx.options.runStepMs,
    leaseMs: ctx.options.runLeaseMs,
    claimEveryMs: ctx.options.runClaimEveryMs,
    maxExecutions: ctx.store.shared ? MAX_EXECUTIONS.shared : MAX_EXECUTIONS.embedded,
    log: ctx.options.log,
  });
  const services = { ctx, engine };
  registerThreadAndMessageRoutes(router, services);
  registerRunRoutes(router, services);
  ctx.onReset(() => {
    engine.stop();
    engine.restart();
  });
  ctx.onClose(async () => {
    engine.stop();
    await chat?.close();
  });
  ctx.store.onRollback(() => engine.resync());
  await engine.start();
  return engine;
}
