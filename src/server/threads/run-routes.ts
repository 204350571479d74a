/**
 * Runs and run steps: createThreadAndRun, createRun, listRuns, getRun, modifyRun,
 * cancelRun, submitToolOuputsToRun, listRunSteps, getRunStep. With `stream: true` the
 * three that start or resume a run answer with server-sent events.
 *
 * A run created, cancelled or given its tool outputs here is carried on by this server
 * (engine.take in the transaction, engine.hold once it is committed), whichever held it.
 */
import { notFound } from '../errors.js';
import { parsePageQuery } from '../pagination.js';
import type { RequestContext, Router } from '../router.js';
import { ActiveRunExists, type RunClaim, type StoreWriter } from '../store/store.js';
import type { RunObject } from './objects.js';
import { newMessage, newRun, newThread } from './records.js';
import type { ThreadServices } from './services.js';
import { activeRunError, rejectWhileActive, requireAssistant, requireRun, requireThread, updateMetadata } from './services.js';
import { streamRun } from './stream.js';
import { parseCreateRun, parseCreateThreadAndRun, parseSubmitToolOutputs } from './validation.js';

/** What a transaction that starts or resumes a run hands back. */
interface Started {
  run: RunObject;
  claim: RunClaim;
  /** The number of the first event the transaction wrote for the run (where a stream starts). */
  firstSeq: number;
}

export function registerRunRoutes(router: Router, services: ThreadServices): void {
  const { ctx, engine } = services;
  const { store } = ctx;

  /**
   * Runs `work`, holds the run it started once that is committed, and answers with the run
   * or its stream. `work` may refuse with an error to throw after committing.
   */
  const answer = async (req: RequestContext, stream: boolean, work: (tx: StoreWriter) => Promise<Started | { refused: Error }>): Promise<unknown> => {
    const begin = async (): Promise<Started> => {
      const started = await store.transaction(work);
      if ('refused' in started) throw started.refused;
      engine.hold(started.claim);
      return started;
    };
    if (!stream) return (await begin()).run;
    return streamRun(req.res, store.events, async () => {
      const { run, firstSeq } = await begin();
      return { runId: run.id, firstSeq };
    });
  };

  /** Inserts a queued run (the database refuses a second active one on its thread) and queues it. */
  const enqueue = async (tx: StoreWriter, run: RunObject): Promise<Started> => {
    try {
      await tx.insert('runs', run);
    } catch (error) {
      if (error instanceof ActiveRunExists) throw activeRunError(run.thread_id, null);
      throw error;
    }
    const firstSeq = await engine.steps.enqueue(tx, run);
    return { run, firstSeq, claim: await engine.take(tx, run.id) };
  };

  router.add('POST', '/v1/threads/runs', async (req) => {
    const body = req.body;
    const input = await parseCreateThreadAndRun(store.read, body);
    const assistant = await requireAssistant(store.read, input.assistant_id);
    return answer(req, input.stream, async (tx) => {
      const thread = await tx.insert('threads', newThread(input.thread.metadata));
      for (const message of input.thread.messages) await tx.insert('messages', newMessage(thread.id, message));
      const run = newRun(thread.id, assistant, input, null, ctx.options.runExpiresAfterSeconds);
      const created = await tx.emit(run.id, { event: 'thread.created', data: thread });
      const started = await enqueue(tx, run);
      return { ...started, firstSeq: created };
    });
  });

  router.add('POST', '/v1/threads/:thread_id/runs', async (req) => {
    await requireThread(store.read, req.params.thread_id);
    const input = await parseCreateRun(store.read, req.body);
    const assistant = await requireAssistant(store.read, input.assistant_id);
    return answer(req, input.stream, async (tx) => {
      const thread = await tx.lockThread(req.params.thread_id);
      if (thread === undefined) throw notFound('thread', req.params.thread_id);
      await rejectWhileActive(tx, thread.id, 'run');
      for (const message of input.additional_messages) await tx.insert('messages', newMessage(thread.id, message));
      return enqueue(tx, newRun(thread.id, assistant, input, input.additional_instructions, ctx.options.runExpiresAfterSeconds));
    });
  });

  router.add('GET', '/v1/threads/:thread_id/runs', async (req) => {
    const thread = await requireThread(store.read, req.params.thread_id);
    return store.read.page('runs', { thread_id: thread.id }, parsePageQuery(req.query));
  });

  router.add('GET', '/v1/threads/:thread_id/runs/:run_id', (req) => requireRun(store.read, req.params.thread_id, req.params.run_id));

  router.add('POST', '/v1/threads/:thread_id/runs/:run_id', (req) =>
    store.transaction(async (tx) => updateMetadata(tx, 'runs', await requireRun(tx, req.params.thread_id, req.params.run_id), req.body)),
  );

  router.add('POST', '/v1/threads/:thread_id/runs/:run_id/cancel', async (req) => {
    const started = await store.transaction(async (tx) => {
      const run = await requireRun(tx, req.params.thread_id, req.params.run_id);
      // Taken first: the lease locks the run's progress, as a server advancing it does.
      const claim = await engine.take(tx, run.id);
      const current = (await tx.get('runs', run.id)) ?? run;
      const { run: cancelling } = await engine.steps.cancel(tx, current);
      return { run: cancelling, claim };
    });
    engine.hold(started.claim);
    return started.run;
  });

  router.add('POST', '/v1/threads/:thread_id/runs/:run_id/submit_tool_outputs', async (req) => {
    const { thread_id: threadId, run_id: runId } = req.params;
    await requireRun(store.read, threadId, runId);
    const input = parseSubmitToolOutputs(req.body);
    return answer(req, input.stream, async (tx) => {
      const claim = await engine.take(tx, runId);
      const run = await requireRun(tx, threadId, runId);
      const submitted = await engine.steps.submitToolOutputs(tx, run, input.tool_outputs);
      // An expired run: its expiry is kept (the transaction commits), the outputs refused.
      if ('refused' in submitted) return { refused: submitted.refused };
      return { ...submitted, claim };
    });
  });

  router.add('GET', '/v1/threads/:thread_id/runs/:run_id/steps', async (req) => {
    const run = await requireRun(store.read, req.params.thread_id, req.params.run_id);
    return store.read.page('run_steps', { run_id: run.id }, parsePageQuery(req.query));
  });

  router.add('GET', '/v1/threads/:thread_id/runs/:run_id/steps/:step_id', async (req) => {
    const run = await requireRun(store.read, req.params.thread_id, req.params.run_id);
    const step = await store.read.get('run_steps', req.params.step_id);
    if (step === undefined || step.run_id !== run.id) throw notFound('run step', req.params.step_id);
    return step;
  });
}
