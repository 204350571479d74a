/**
 * Runs and run steps: createThreadAndRun, createRun, listRuns, getRun, modifyRun,
 * cancelRun, submitToolOuputsToRun, listRunSteps, getRunStep. With `stream: true` the
 * three that start or resume a run answer with server-sent events.
 */
import { notFound } from '../errors.js';
import { paginate } from '../pagination.js';
import type { RequestContext, Router } from '../router.js';
import type { RunObject } from './objects.js';
import { newMessage, newRun, newThread } from './records.js';
import type { ThreadServices } from './services.js';
import { rejectWhileActive, requireAssistant, requireRun, requireThread } from './services.js';
import { streamRun } from './stream.js';
import { parseCreateRun, parseCreateThreadAndRun, parseMetadataUpdate, parseSubmitToolOutputs } from './validation.js';

export function registerRunRoutes(router: Router, services: ThreadServices): void {
  const { ctx, data, engine, bus } = services;

  /** The run as JSON, or as an event stream when the request asked for one. */
  const answer = (req: RequestContext, stream: boolean, begin: () => RunObject): unknown =>
    stream ? streamRun(req.res, { bus, flush: () => ctx.store.flush() }, begin) : begin();

  router.add('POST', '/v1/threads/runs', (req) => {
    const input = parseCreateThreadAndRun(ctx, req.body);
    const assistant = requireAssistant(services, input.assistant_id);
    return answer(req, input.stream, () => {
      const thread = data.threads.insert(newThread(input.thread.metadata));
      for (const message of input.thread.messages) data.messages.insert(newMessage(thread.id, message));
      bus.publish(thread.id, { event: 'thread.created', data: thread });
      const run = data.runs.insert(newRun(thread.id, assistant, input, null, ctx.options.runExpiresAfterSeconds));
      engine.start(run);
      return run;
    });
  });

  router.add('POST', '/v1/threads/:thread_id/runs', (req) => {
    const thread = requireThread(services, req.params.thread_id);
    const input = parseCreateRun(ctx, req.body);
    const assistant = requireAssistant(services, input.assistant_id);
    rejectWhileActive(services, thread.id, 'run');
    return answer(req, input.stream, () => {
      for (const message of input.additional_messages) data.messages.insert(newMessage(thread.id, message));
      const run = data.runs.insert(
        newRun(thread.id, assistant, input, input.additional_instructions, ctx.options.runExpiresAfterSeconds),
      );
      engine.start(run);
      return run;
    });
  });

  router.add('GET', '/v1/threads/:thread_id/runs', (req) => {
    const thread = requireThread(services, req.params.thread_id);
    return paginate(data.threadRuns(thread.id), req.query);
  });

  router.add('GET', '/v1/threads/:thread_id/runs/:run_id', (req) =>
    requireRun(services, req.params.thread_id, req.params.run_id),
  );

  router.add('POST', '/v1/threads/:thread_id/runs/:run_id', (req) => {
    const run = requireRun(services, req.params.thread_id, req.params.run_id);
    const { metadata } = parseMetadataUpdate(req.body);
    if (metadata === undefined) return run;
    return data.runs.update(run.id, (current) => ({ ...current, metadata: metadata ?? {} }));
  });

  router.add('POST', '/v1/threads/:thread_id/runs/:run_id/cancel', (req) =>
    engine.cancel(requireRun(services, req.params.thread_id, req.params.run_id)),
  );

  router.add('POST', '/v1/threads/:thread_id/runs/:run_id/submit_tool_outputs', (req) => {
    const run = requireRun(services, req.params.thread_id, req.params.run_id);
    const input = parseSubmitToolOutputs(req.body);
    return answer(req, input.stream, () => engine.submitToolOutputs(run, input.tool_outputs));
  });

  router.add('GET', '/v1/threads/:thread_id/runs/:run_id/steps', (req) => {
    const run = requireRun(services, req.params.thread_id, req.params.run_id);
    return paginate(data.runSteps(run.id), req.query);
  });

  router.add('GET', '/v1/threads/:thread_id/runs/:run_id/steps/:step_id', (req) => {
    const run = requireRun(services, req.params.thread_id, req.params.run_id);
    const step = data.steps.get(req.params.step_id);
    if (step === undefined || step.run_id !== run.id) throw notFound('run step', req.params.step_id);
    return step;
  });
}
