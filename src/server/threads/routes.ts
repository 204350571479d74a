/**
 * The thread, message, run and run-step routes (the 19 operations of the seed beyond
 * assistants), backed by the store and driven by the run engine.
 */
import type { ServerContext } from '../context.js';
import type { Router } from '../router.js';
import { ChatClient } from '../upstream/chat-client.js';
import { ThreadData } from './data.js';
import { RunEngine } from './engine.js';
import { RunEventBus } from './events.js';
import { registerRunRoutes } from './run-routes.js';
import { registerThreadAndMessageRoutes } from './thread-routes.js';

export function registerThreadRoutes(router: Router, ctx: ServerContext): void {
  const data = new ThreadData(ctx.store);
  const bus = new RunEventBus();
  const model = ctx.options.model;
  const chat = model.type === 'chat' ? new ChatClient(model) : undefined;
  const engine = new RunEngine(
    data,
    bus,
    (assistantId) => {
      const assistant = ctx.getAssistant(assistantId);
      return assistant === undefined ? undefined : (assistant.name ?? assistant.id);
    },
    {
      stepMs: ctx.options.runStepMs,
      expiresAfterSeconds: ctx.options.runExpiresAfterSeconds,
      flush: () => ctx.store.flush(),
      log: ctx.options.log,
    },
    { model, chat, retrieval: ctx.retrieval },
  );
  const services = { ctx, data, engine, bus };
  registerThreadAndMessageRoutes(router, services);
  registerRunRoutes(router, services);
  ctx.onReset(() => {
    engine.stop();
    bus.interrupt(null, 'The server was reset while this run was streaming.');
  });
  ctx.onClose(async () => {
    engine.stop();
    await chat?.close();
  });
  ctx.store.onRollback(() => engine.resync());
  engine.resume();
}
