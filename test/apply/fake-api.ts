/**
 * A fake of the applier's ApplyApi (src/apply/api.ts): an account in memory whose
 * requests take `latencyMs` of a FakeClock, and fail as scripted. A failure with a status
 * is an answer built as the transport builds it (retry.ts responseError: the same
 * `retryable` decision, the same headers), sent before the request is processed; a
 * `dropped` or `timeout` failure comes after it was processed, as a connection lost on
 * the way back does; a `late` one times out before it is processed and is processed when
 * the test calls `landLate()`, as a request a server is still working on when the client
 * gives up.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { APIConnectionError, APIConnectionTimeoutError } from '../../src/api/errors.js';
import type { AssistantObject, CreateAssistantRequest, ModifyAssistantRequest, OpenAIFile } from '../../src/api/models.js';
import { responseError } from '../../src/api/retry.js';
import type { ApplyApi } from '../../src/apply/api.js';
import { OWNERSHIP_METADATA_KEY } from '../../src/plan/ownership.js';
import type { FakeClock } from '../support/fake-clock.js';

export type Method = keyof ApplyApi;

export type Fault = { status: number; headers?: Record<string, string> } | 'dropped' | 'timeout' | 'late';

export interface Call {
  method: Method;
  /** The manifest key (create), the id (modify, delete) or the file name (upload). */
  target: string;
  startedAt: number;
  answeredAt: number | null;
}

interface Scripted {
  method: Method;
  target: string | undefined;
  fault: Fault;
  times: number;
}

const DETAILS = { baseUrl: 'http://fake/v1' };

export class FakeApplyApi implements ApplyApi {
  readonly assistants = new Map<string, AssistantObject>();
  readonly files = new Map<string, OpenAIFile & { sha256: string }>();
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly script: Scripted[] = [];
  private nextId = 1;
  private held: Array<() => void> = [];

  /** Called as each request arrives, before it is processed (a test lands a late one here). */
  onRequest: (method: Method) => void = () => undefined;

  /** Above this many requests in flight, a request is answered 503 (an overloaded server). */
  capacity = Number.POSITIVE_INFINITY;

  /** `latencyMs`: a request's time, fixed or by the requests in flight when it arrives (queueing). */
  constructor(
    private readonly clock: FakeClock,
    private readonly latencyMs: number | ((inFlight: number) => number) = 10,
  ) {}

  /** The next `times` calls of `method` (for `target` only, when given) fail with `fault`. */
  fail(method: Method, fault: Fault, times = 1, target?: string): this {
    this.script.push({ method, target, fault, times });
    return this;
  }

  callsOf(method: Method): Call[] {
    return this.calls.filter((call) => call.method === method);
  }

  seed(assistant: AssistantObject): void {
    this.assistants.set(assistant.id, structuredClone(assistant));
  }

  createAssistant(body: CreateAssistantRequest): Promise<AssistantObject> {
    const key = body.metadata?.[OWNERSHIP_METADATA_KEY]?.split('/')[2] ?? '?';
    return this.serve('createAssistant', key, () => {
      const assistant: AssistantObject = {
        id: `asst_${this.nextId++}`,
        object: 'assistant',
        createdAt: Math.floor(this.clock.now() / 1000),
        name: body.name ?? null,
        description: body.description ?? null,
        model: body.model,
        instructions: body.instructions ?? null,
        tools: body.tools ?? [],
        fileIds: body.fileIds ?? [],
        metadata: body.metadata ?? null,
      };
      this.assistants.set(assistant.id, assistant);
      return structuredClone(assistant);
    });
  }

  modifyAssistant(id: string, body: ModifyAssistantRequest): Promise<AssistantObject> {
    return this.serve('modifyAssistant', id, () => {
      const assistant = this.assistants.get(id);
      if (!assistant) throw this.notFound('modifyAssistant');
      const defined = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
      Object.assign(assistant, defined);
      return structuredClone(assistant);
    });
  }

  deleteAssistant(id: string): Promise<void> {
    return this.serve('deleteAssistant', id, () => {
      if (!this.assistants.delete(id)) throw this.notFound('deleteAssistant');
    });
  }

  async uploadFile(path: string, filename: string): Promise<OpenAIFile> {
    const content = await readFile(path);
    return this.serve('uploadFile', filename, () => {
      const file: OpenAIFile & { sha256: string } = {
        id: `file-${this.nextId++}`,
        object: 'file',
        bytes: content.length,
        createdAt: Math.floor(this.clock.now() / 1000),
        filename,
        purpose: 'assistants',
        status: 'processed',
        sha256: createHash('sha256').update(content).digest('hex'),
      };
      this.files.set(file.id, file);
      const { sha256: _, ...shown } = file;
      return shown;
    });
  }

  deleteFile(id: string): Promise<void> {
    return this.serve('deleteFile', id, () => {
      if (!this.files.delete(id)) throw this.notFound('deleteFile');
    });
  }

  listAllAssistants(): Promise<AssistantObject[]> {
    return this.serve('listAllAssistants', '', () => [...this.assistants.values()].map((a) => structuredClone(a)));
  }

  listFiles(): Promise<OpenAIFile[]> {
    return this.serve('listFiles', '', () => [...this.files.values()].map(({ sha256: _, ...file }) => file));
  }

  contentSha256(id: string): Promise<string | null> {
    return this.serve('contentSha256', id, () => this.files.get(id)?.sha256 ?? null);
  }

  /** Processes the requests that timed out with a `late` fault, in the order they came. */
  landLate(): void {
    const held = this.held;
    this.held = [];
    for (const work of held) work();
  }

  private async serve<T>(method: Method, target: string, work: () => T): Promise<T> {
    this.onRequest(method);
    const call: Call = { method, target, startedAt: this.clock.now(), answeredAt: null };
    this.calls.push(call);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.clock.sleep(typeof this.latencyMs === 'number' ? this.latencyMs : this.latencyMs(this.inFlight));
      const fault = this.inFlight > this.capacity ? { status: 503 } : this.takeFault(method, target);
      if (fault !== undefined && typeof fault === 'object') {
        throw responseError({ ...DETAILS, method: 'POST', path: `/${method}`, status: fault.status }, (name) => fault.headers?.[name], this.clock.now());
      }
      if (fault === 'late') {
        this.held.push(() => void work());
        throw new APIConnectionTimeoutError({ ...DETAILS, method: 'POST', path: `/${method}`, timeoutMs: 400 });
      }
      const result = work();
      if (fault === 'dropped') throw new APIConnectionError({ ...DETAILS, method: 'POST', path: `/${method}`, reason: 'ECONNRESET' });
      if (fault === 'timeout') throw new APIConnectionTimeoutError({ ...DETAILS, method: 'POST', path: `/${method}`, timeoutMs: 400 });
      return result;
    } finally {
      call.answeredAt = this.clock.now();
      this.inFlight -= 1;
    }
  }

  private takeFault(method: Method, target: string): Fault | undefined {
    const entry = this.script.find((s) => s.method === method && s.times > 0 && (s.target === undefined || s.target === target));
    if (!entry) return undefined;
    entry.times -= 1;
    return entry.fault;
  }

  private notFound(method: Method): Error {
    return responseError({ ...DETAILS, method: 'POST', path: `/${method}`, status: 404 }, () => undefined, this.clock.now());
  }
}
