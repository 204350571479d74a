/**
 * The run engine: which server advances which run, and when. Runs are a queue in the store:
 * each active run has a progress record (run-steps.ts says what each phase does), and the
 * server that advances it holds a lease on it.
 *
 * - The server that creates a run, or that receives its cancel or tool outputs, takes the
 *   run (a new lease) and advances it: one phase per timer tick, each in one transaction
 *   that first checks the lease (`holdsRun`), so a server that lost it changes nothing.
 * - Every `claimEveryMs` a server claims runs that are due and whose lease ran out (their
 *   server died, or handed them back): with the embedded store that is what a restart
 *   finds; with PostgreSQL, `FOR UPDATE SKIP LOCKED`, so each run goes to one replica.
 * - Leases are renewed every third of `leaseMs`; a run whose lease was lost is dropped
 *   here (its upstream request aborted) and carries on where its new holder is.
 * - `drain()` (SIGTERM) stops claiming, lets the phases under way finish, aborts upstream
 *   turns and hands every lease back, due at once, so other replicas carry on.
 *
 * A run carries on from its last committed phase; a phase is committed once, by the one
 * holder of the lease, so a run completes once and only once.
 */
import { describeError } from '../exchange.js';
import type { RunClaim, ServerStore, StoreWriter } from '../store/store.js';
import { StoreUnavailable } from '../store/store.js';
import { assistantToWire } from '../routes/assistants.js';
import { UpstreamError } from '../upstream/chat-client.js';
import { ChatTurn, type TurnWriter } from './chat-turn.js';
import { isActiveRun, type RunObject } from './objects.js';
import { UnanswerableRunError } from './model.js';
import { RunRecords } from './run-records.js';
import { RunSteps, SERVER_ERROR_MESSAGE, type RunModel, type StepOutcome } from './run-steps.js';
import type { ModelInput } from './turn-input.js';

export interface RunEngineOptions {
  /** Delay between two phases of a run, in milliseconds. */
  stepMs: number;
  /** How long a lease lasts unless renewed (another server takes the run after). */
  leaseMs: number;
  /** How often due runs whose lease ran out are looked for. */
  claimEveryMs: number;
  /** How many times a run's model turn may be started (see RunStepOptions). */
  maxExecutions: number;
  log: (line: string) => void;
}

/** What /_admin/stats tells about this server's runs. */
export interface EngineStats {
  /** Runs this server holds now. */
  held: number;
  /** Runs taken at creation, cancel or tool outputs; claimed from the queue; lost to another server. */
  taken: number;
  claimed: number;
  lost: number;
  /** Phases committed. */
  phases: number;
  draining: boolean;
}

/** A run this server holds. */
interface Held {
  token: string;
  timer: NodeJS.Timeout | undefined;
  /** When the next phase is due (ms since the epoch), for handing the run back. */
  dueAt: number;
  /** The first phase after a claim: a turn found `executing` then was a dead server's. */
  claimed: boolean;
  /** The phase under way, if any. */
  busy: Promise<void> | undefined;
  turn: { controller: AbortController; turn: ChatTurn } | undefined;
}

/** The run is no longer this server's: stop writing. */
class RunLost extends Error {
  override readonly name = 'RunLost';
}

/** How long a run waits after the store could not be reached. */
const RETRY_UNAVAILABLE_MS = 1000;
/** How long a run whose last change could not be saved waits before it tries again. */
const RETRY_AFTER_ROLLBACK_MS = 1000;
/** Runs claimed at most per look. */
const CLAIM_BATCH = 32;

export class RunEngine {
  readonly #held = new Map<string, Held>();
  readonly steps: RunSteps;
  #claimTimer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #claiming: Promise<void> | undefined;
  #stopped = false;
  #draining = false;
  readonly #stats = { taken: 0, claimed: 0, lost: 0, phases: 0 };

  constructor(
    private readonly store: ServerStore,
    private readonly models: RunModel,
    private readonly options: RunEngineOptions,
  ) {
    this.steps = new RunSteps(models, { stepMs: options.stepMs, maxExecutions: options.maxExecutions });
  }

  /**
   * Starts claiming and renewing. With the embedded store, what a crash left behind is
   * settled first: an active run without a progress record (an older version's) fails.
   */
  async start(): Promise<void> {
    if (!this.store.shared) await this.#failRunsWithoutProgress();
    this.#startLoops();
  }

  #startLoops(): void {
    this.#stopped = false;
    this.#claimSoon(0);
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
    this.#renewTimer.unref();
  }

  stats(): EngineStats {
    return { held: this.#held.size, ...this.#stats, draining: this.#draining };
  }

  /**
   * Takes a run this server just created, cancelled or gave tool outputs to (in the
   * transaction `tx`); call `hold` with the claim once the transaction is committed.
   */
  take(tx: StoreWriter, runId: string): Promise<RunClaim> {
    return tx.takeRun(runId, this.options.stepMs);
  }

  /** Advances a run taken with `take` from its next phase, after `stepMs`. */
  hold(claim: RunClaim): void {
    if (this.#stopped) return;
    this.#stats.taken++;
    this.#drop(claim.runId);
    this.#held.set(claim.runId, { token: claim.token, timer: undefined, dueAt: 0, claimed: false, busy: undefined, turn: undefined });
    this.#schedule(claim.runId, this.options.stepMs);
  }

  /** Forgets runs whose records were deleted with their thread. */
  forget(runIds: readonly string[]): void {
    for (const id of runIds) this.#drop(id);
  }

  /** After a failed write was undone (embedded journal): every run held here tries again a second later. */
  resync(): void {
    for (const runId of this.#held.keys()) this.#schedule(runId, Math.max(this.options.stepMs, RETRY_AFTER_ROLLBACK_MS));
  }

  /** Stops at once (close, reset): timers and upstream requests; the store keeps every run's state. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#claimTimer);
    clearInterval(this.#renewTimer);
    for (const [runId, held] of [...this.#held]) {
      if (held.turn !== undefined) {
        const turn = held.turn;
        // The text streamed so far is kept (the store may refuse it: it is closing).
        void turn.turn.saveText().catch(() => undefined);
        turn.controller.abort();
      }
      this.#drop(runId);
    }
  }

  /** Starts again after a reset (which stops the engine). */
  restart(): void {
    this.#startLoops();
  }

  /**
   * Graceful shutdown: no more claims; the phases under way finish; upstream turns are
   * aborted; every lease is handed back, due when its next phase is (at once for a run
   * in the middle of a phase), for other servers to carry on.
   */
  async drain(): Promise<void> {
    this.#draining = true;
    clearTimeout(this.#claimTimer);
    await this.#claiming;
    const handBack: Array<RunClaim & { dueInMs: number }> = [];
    for (const [runId, held] of [...this.#held]) {
      clearTimeout(held.timer);
      held.timer = undefined;
      held.turn?.controller.abort();
      await held.busy?.catch(() => undefined);
      const current = this.#held.get(runId);
      if (current === undefined) continue;
      handBack.push({ runId, token: current.token, dueInMs: current.turn === undefined ? Math.max(0, current.dueAt - Date.now()) : 0 });
    }
    this.stop();
    if (handBack.length > 0) await this.store.leases.release(handBack).catch((error: unknown) => this.options.log(`assistants serve: could not hand runs back: ${describeError(error)}`));
  }

  #drop(runId: string): void {
    const held = this.#held.get(runId);
    if (held === undefined) return;
    clearTimeout(held.timer);
    held.turn?.controller.abort();
    this.#held.delete(runId);
  }

  #schedule(runId: string, delayMs: number): void {
    const held = this.#held.get(runId);
    if (held === undefined || this.#stopped) return;
    clearTimeout(held.timer);
    held.dueAt = Date.now() + Math.max(0, delayMs);
    // Timers past 2^31 ms fire at once: a far expiry is looked at again later.
    held.timer = setTimeout(() => this.#tick(runId), Math.min(Math.max(0, delayMs), 2 ** 31 - 1));
    held.timer.unref();
  }

  #claimSoon(delayMs: number): void {
    if (this.#stopped || this.#draining) return;
    clearTimeout(this.#claimTimer);
    this.#claimTimer = setTimeout(() => {
      this.#claiming = this.#claim().finally(() => {
        this.#claiming = undefined;
        this.#claimSoon(this.options.claimEveryMs);
      });
    }, delayMs);
    this.#claimTimer.unref();
  }

  async #claim(): Promise<void> {
    try {
      for (;;) {
        const claims = await this.store.leases.claim(CLAIM_BATCH);
        for (const claim of claims) {
          if (this.#stopped || this.#draining) break;
          this.#stats.claimed++;
          this.#drop(claim.runId);
          this.#held.set(claim.runId, { token: claim.token, timer: undefined, dueAt: 0, claimed: true, busy: undefined, turn: undefined });
          this.#schedule(claim.runId, 0);
        }
        if (claims.length < CLAIM_BATCH || this.#stopped || this.#draining) return;
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) this.options.log(`assistants serve: could not claim runs: ${describeError(error)}`);
    }
  }

  async #renew(): Promise<void> {
    if (this.#held.size === 0) return;
    const claims = [...this.#held].map(([runId, held]) => ({ runId, token: held.token }));
    try {
      for (const runId of await this.store.leases.renew(claims)) {
        if (this.#held.get(runId)?.token !== claims.find((claim) => claim.runId === runId)?.token) continue;
        this.#stats.lost++;
        this.#drop(runId);
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) this.options.log(`assistants serve: could not renew run leases: ${describeError(error)}`);
    }
  }

  /** Runs `change` in a transaction if this server still holds the run under `token`; throws RunLost otherwise. */
  #inRun<T>(runId: string, token: string, change: (tx: StoreWriter) => Promise<T>): Promise<T> {
    return this.store.transaction(async (tx) => {
      if (!(await tx.holdsRun(runId, token))) throw new RunLost(runId);
      return change(tx);
    });
  }

  #tick(runId: string): void {
    const held = this.#held.get(runId);
    if (held === undefined || held.busy !== undefined || held.turn !== undefined) return;
    held.timer = undefined;
    const busy = this.#phase(runId, held).finally(() => {
      if (this.#held.get(runId) === held) held.busy = undefined;
    });
    held.busy = busy;
  }

  async #phase(runId: string, held: Held): Promise<void> {
    const claimed = held.claimed;
    let outcome: StepOutcome;
    try {
      outcome = await this.#inRun(runId, held.token, async (tx) => {
        const run = await tx.get('runs', runId);
        const progress = await tx.get('run_progress', runId);
        if (run === undefined || progress === undefined) {
          await tx.delete('run_progress', runId);
          return { kind: 'ended' } as const;
        }
        const assistant = isActiveRun(run) ? await assistantToWire(tx, run.assistant_id) : undefined;
        const next = await this.steps.advance(tx, run, progress, claimed, assistant === undefined ? undefined : (assistant.name ?? assistant.id));
        if (next.kind === 'next') await tx.setRunDue(runId, next.delayMs);
        return next;
      });
      this.#stats.phases++;
    } catch (error) {
      return this.#phaseFailed(runId, held, error);
    }
    if (this.#held.get(runId) !== held) return;
    held.claimed = false;
    switch (outcome.kind) {
      case 'ended':
        return this.#drop(runId);
      case 'next':
        return this.#schedule(runId, outcome.delayMs);
      case 'execute':
        // The turn runs once `executing` is durable: a crash in it is then seen by whoever claims the run.
        await this.store.flush().then(
          () => this.#schedule(runId, 0),
          // Undone by the store's rollback; resync() schedules the run again.
          () => undefined,
        );
        return;
      case 'upstream':
        return this.#upstream(runId, held, outcome.run, outcome.input);
    }
  }

  /** A phase that threw: lost, unavailable (tried again), or a run that cannot go on (failed). */
  async #phaseFailed(runId: string, held: Held, error: unknown): Promise<void> {
    if (error instanceof RunLost) {
      this.#stats.lost++;
      return this.#drop(runId);
    }
    if (error instanceof StoreUnavailable) return this.#schedule(runId, RETRY_UNAVAILABLE_MS);
    if (error instanceof UnanswerableRunError) return this.#fail(runId, held, { code: 'invalid_prompt', message: error.message });
    this.options.log(`assistants serve: run ${runId} failed: ${describeError(error)}`);
    return this.#fail(runId, held, { code: 'server_error', message: SERVER_ERROR_MESSAGE });
  }

  /**
   * Ends a run that could not be executed as `failed` with `lastError`. Whatever goes wrong
   * on the way, the run does not stay active here, and nothing escapes the timer.
   */
  async #fail(runId: string, held: Held, lastError: NonNullable<RunObject['last_error']>): Promise<void> {
    try {
      await this.#inRun(runId, held.token, (tx) => this.steps.fail(tx, runId, lastError));
    } catch (second) {
      if (second instanceof RunLost) return this.#drop(runId);
      if (second instanceof StoreUnavailable) return this.#schedule(runId, RETRY_UNAVAILABLE_MS);
      this.options.log(`assistants serve: run ${runId} could not be ended cleanly: ${describeError(second)}`);
      try {
        await this.#inRun(runId, held.token, (tx) => this.steps.failBare(tx, runId, lastError));
      } catch {
        // The store refuses every change (closed): the run is settled by whoever claims it next.
      }
    }
    this.#drop(runId);
  }

  /** Sends the turn to the upstream; the run has no timer until the answer is in, or the turn is aborted. */
  #upstream(runId: string, held: Held, run: RunObject, input: ModelInput): void {
    const chat = this.models.chat;
    if (this.models.model.type !== 'chat' || chat === undefined) throw new Error('no chat upstream configured');
    const controller = new AbortController();
    const writer: TurnWriter = {
      write: (change) => this.#inRun(runId, held.token, (tx) => change(new RunRecords(tx))),
    };
    const turn = new ChatTurn(writer, chat, this.models.model, run, input);
    held.turn = { controller, turn };
    const settle = async (next: () => Promise<void>): Promise<void> => {
      // A cancel, a deleted thread or a stop took the run back: nothing more is written.
      if (controller.signal.aborted || this.#held.get(runId)?.turn?.controller !== controller) return;
      held.turn = undefined;
      try {
        await next();
      } catch (error) {
        await this.#failTurn(runId, held, turn, error);
      }
    };
    turn.execute(controller.signal).then(
      (result) =>
        settle(async () => {
          const outcome = await this.#inRun(runId, held.token, (tx) => this.steps.afterUpstream(tx, runId, result));
          if (outcome.kind === 'next') this.#schedule(runId, outcome.delayMs);
          else this.#drop(runId);
        }),
      (error: unknown) =>
        settle(async () => {
          throw error;
        }),
    );
  }

  /** Ends a run whose upstream turn failed: with the upstream's error, or the server's. */
  async #failTurn(runId: string, held: Held, turn: ChatTurn, error: unknown): Promise<void> {
    if (error instanceof RunLost) {
      this.#stats.lost++;
      return this.#drop(runId);
    }
    await turn.saveText().catch(() => undefined);
    if (error instanceof UpstreamError) {
      this.options.log(`assistants serve: run ${runId} failed: ${error.message}`);
      return this.#fail(runId, held, { code: error.code, message: error.message });
    }
    this.options.log(`assistants serve: run ${runId} failed: ${describeError(error)}`);
    return this.#fail(runId, held, { code: 'server_error', message: SERVER_ERROR_MESSAGE });
  }

  /** Active runs without a progress record (left by an older version) fail: they are not executed. */
  async #failRunsWithoutProgress(): Promise<void> {
    const orphans = (await this.store.read.list('runs')).filter(isActiveRun);
    for (const run of orphans) {
      await this.store.transaction(async (tx) => {
        if ((await tx.get('run_progress', run.id)) !== undefined) return;
        await this.steps.fail(tx, run.id, { code: 'server_error', message: 'The server stopped before this run started; it is not executed.' });
      });
    }
  }
}
