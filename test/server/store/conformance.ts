/**
 * The store conformance suite: what every ServerStore must do, run against the embedded
 * store and the PostgreSQL store alike (embedded-store.test.ts, postgres-store.test.ts).
 * Ids, creation order, pages and their 400s, atomic transactions, one active run per
 * thread, commit order within a thread, run events in sequence, leases, and files whose
 * bytes go in and come out streamed.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { pageOf, type PageQuery } from '../../../src/server/pagination.js';
import { blankProgress } from '../../../src/server/threads/run-steps.js';
import type { AssistantStreamEvent } from '../../../src/server/threads/events.js';
import type { MessageObject, RunObject } from '../../../src/server/threads/objects.js';
import {
  ActiveRunExists,
  ResetDuringUpload,
  TextIndexFull,
  type SequencedEvent,
  type ServerStore,
} from '../../../src/server/store/store.js';
import { ApiError } from '../../../src/server/errors.js';

export interface StoreUnderTest {
  store: ServerStore;
  close(): Promise<void>;
}

const message = (id: string, threadId: string, runId: string | null = null): MessageObject => ({
  id,
  object: 'thread.message',
  created_at: 1,
  thread_id: threadId,
  status: 'completed',
  incomplete_details: null,
  completed_at: null,
  incomplete_at: null,
  role: 'user',
  content: [{ type: 'text', text: { value: `text of ${id} \u0000 ✓`, annotations: [] } }],
  assistant_id: null,
  run_id: runId,
  file_ids: [],
  metadata: {},
});

const run = (id: string, threadId: string, status: RunObject['status'] = 'queued'): RunObject => ({
  id,
  object: 'thread.run',
  created_at: 1,
  thread_id: threadId,
  assistant_id: 'asst_x',
  status,
  required_action: null,
  last_error: null,
  expires_at: null,
  started_at: null,
  cancelled_at: null,
  failed_at: null,
  completed_at: null,
  incomplete_details: null,
  model: 'm',
  instructions: '',
  tools: [],
  file_ids: [],
  metadata: {},
  usage: null,
  temperature: 1,
  max_prompt_tokens: null,
  max_completion_tokens: null,
  truncation_strategy: null,
  tool_choice: null,
  response_format: null,
});


const thread = (id: string) => ({ id, object: 'thread' as const, created_at: 1, metadata: {} });

const runEvent = (id: string, status: RunObject['status']): AssistantStreamEvent => ({ event: `thread.run.${status}` as 'thread.run.queued', data: run(id, 'thread_a', status) });

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export function storeConformance(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name} store conformance`, () => {
    let subject: StoreUnderTest;
    let store: ServerStore;
    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.close();
    });

    test('records keep creation order and their place when updated; duplicates, missing ids and key fields', async () => {
      await store.transaction(async (tx) => {
        await tx.insert('threads', thread('thread_a'));
        await tx.insert('threads', thread('thread_b'));
        for (const id of ['msg_1', 'msg_2', 'msg_3']) await tx.insert('messages', message(id, 'thread_a'));
        await tx.insert('messages', message('msg_4', 'thread_b', 'run_x'));
        await tx.insert('messages', message('msg_5', 'thread_a', 'run_x'));
      });
      await expect(store.transaction((tx) => tx.insert('messages', message('msg_2', 'thread_a')))).rejects.toThrow(/duplicate id msg_2/);
      await store.transaction((tx) => tx.update('messages', 'msg_1', (current) => ({ ...current, metadata: { k: 'v' } })));
      expect(await store.transaction((tx) => tx.update('messages', 'msg_none', (current) => current))).toBeUndefined();

      const ids = (records: Array<{ id: string }>): string[] => records.map((record) => record.id);
      expect(ids(await store.read.list('messages', { thread_id: 'thread_a' }))).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_5']);
      expect(ids(await store.read.list('messages', { thread_id: 'thread_a', run_id: 'run_x' }))).toEqual(['msg_5']);
      expect(ids(await store.read.list('messages'))).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_4', 'msg_5']);
      expect(ids(await store.read.listIn('messages', 'id', ['msg_5', 'msg_1', 'msg_none']))).toEqual(['msg_1', 'msg_5']);
      expect(ids(await store.read.listIn('messages', 'thread_id', ['thread_b']))).toEqual(['msg_4']);
      expect(await store.read.listIn('messages', 'id', [])).toEqual([]);
      // What goes in comes out: NUL characters and all.
      expect(await store.read.get('messages', 'msg_1')).toEqual({ ...message('msg_1', 'thread_a'), metadata: { k: 'v' } });
      expect(await store.read.get('messages', 'msg_none')).toBeUndefined();

      expect(await store.transaction((tx) => tx.delete('messages', 'msg_2'))).toBe(true);
      expect(await store.transaction((tx) => tx.delete('messages', 'msg_2'))).toBe(false);
      expect(await store.transaction((tx) => tx.deleteWhere('messages', { thread_id: 'thread_a' }))).toBe(3);
      expect(ids(await store.read.list('messages'))).toEqual(['msg_4']);
    });

    test('pages follow the cursor rules of pagination.ts, with the same 400s', async () => {
      const all: MessageObject[] = [];
      await store.transaction(async (tx) => {
        await tx.insert('threads', thread('thread_p'));
        await tx.insert('threads', thread('thread_q'));
        for (let i = 0; i < 23; i++) {
          const made = message(`msg_${String(i).padStart(2, '0')}`, 'thread_p');
          all.push(made);
          await tx.insert('messages', made);
        }
        await tx.insert('messages', message('msg_other', 'thread_q'));
      });
      const ids = all.map((m) => m.id);
      const queries: PageQuery[] = [];
      for (const order of ['asc', 'desc'] as const) {
        for (const limit of [1, 5, 20, 100]) {
          for (const after of [undefined, ids[0], ids[7], ids[22]]) {
            for (const before of [undefined, ids[0], ids[3], ids[15], ids[22]]) queries.push({ limit, order, after, before });
          }
        }
      }
      for (const query of queries) {
        expect(await store.read.page('messages', { thread_id: 'thread_p' }, query), JSON.stringify(query)).toEqual(pageOf(all, query));
      }
      // A cursor from another list is no cursor of this one.
      for (const param of ['after', 'before'] as const) {
        const error = await store.read.page('messages', { thread_id: 'thread_p' }, { limit: 20, order: 'desc', after: undefined, before: undefined, [param]: 'msg_other' }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ApiError);
        expect(error).toMatchObject({ status: 400, param, code: 'invalid_value', message: `Invalid '${param}': no object with id 'msg_other' in this list.` });
      }
      expect(await store.read.page('messages', { thread_id: 'thread_none' }, { limit: 20, order: 'desc', after: undefined, before: undefined })).toEqual({
        object: 'list',
        data: [],
        first_id: null,
        last_id: null,
        has_more: false,
      });
    });

    test('a transaction that throws keeps nothing', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.insert('threads', thread('thread_t'));
          await tx.insert('messages', message('msg_t', 'thread_t'));
          await tx.emit('run_t', runEvent('run_t', 'queued'));
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await store.read.get('threads', 'thread_t')).toBeUndefined();
      expect(await store.read.list('messages', { thread_id: 'thread_t' })).toEqual([]);
      // The event's number was not used up: the next event of the run is 1.
      expect(await store.transaction((tx) => tx.emit('run_t', runEvent('run_t', 'queued')))).toBe(1);
    });

    test('one active run per thread, whatever the routes check', async () => {
      await store.transaction(async (tx) => {
        await tx.insert('threads', thread('thread_r'));
        await tx.insert('runs', run('run_1', 'thread_r'));
      });
      await expect(store.transaction((tx) => tx.insert('runs', run('run_2', 'thread_r')))).rejects.toBeInstanceOf(ActiveRunExists);
      await store.transaction((tx) => tx.update('runs', 'run_1', (current) => ({ ...current, status: 'completed' })));
      await store.transaction((tx) => tx.insert('runs', run('run_2', 'thread_r', 'in_progress')));
      await store.transaction((tx) => tx.insert('runs', run('run_3', 'thread_r', 'failed')));
      await expect(store.transaction((tx) => tx.update('runs', 'run_1', (current) => ({ ...current, status: 'queued' })))).rejects.toBeInstanceOf(ActiveRunExists);
      expect((await store.read.list('runs', { thread_id: 'thread_r' })).map((r) => [r.id, r.status])).toEqual([
        ['run_1', 'completed'],
        ['run_2', 'in_progress'],
        ['run_3', 'failed'],
      ]);
    });

    test('writers of one thread take turns: the messages are in the order of commit', async () => {
      await store.transaction((tx) => tx.insert('threads', thread('thread_c')));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let firstLocked!: () => void;
      const locked = new Promise<void>((resolve) => (firstLocked = resolve));
      const first = store.transaction(async (tx) => {
        await tx.lockThread('thread_c');
        firstLocked();
        await held;
        await tx.insert('messages', message('msg_first', 'thread_c'));
      });
      await locked;
      const second = store.transaction(async (tx) => {
        expect(await tx.lockThread('thread_c')).toMatchObject({ id: 'thread_c' });
        await tx.insert('messages', message('msg_second', 'thread_c'));
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      await Promise.all([first, second]);
      expect((await store.read.list('messages', { thread_id: 'thread_c' })).map((m) => m.id)).toEqual(['msg_first', 'msg_second']);
      expect(await store.transaction((tx) => tx.lockThread('thread_none'))).toBeUndefined();
    });

    test('run events: numbered from 1, followed from any number, only once committed', async () => {
      const firsts = await store.transaction(async (tx) => [await tx.emit('run_e', runEvent('run_e', 'queued')), await tx.emit('run_e', runEvent('run_e', 'in_progress'))]);
      expect(firsts).toEqual([1, 2]);
      const seen: SequencedEvent[] = [];
      const fromTwo: number[] = [];
      let resolveDone!: () => void;
      const done = new Promise<void>((resolve) => (resolveDone = resolve));
      const stop = store.events.follow('run_e', 0, {
        event: (event) => {
          seen.push(event);
          if (event.seq === 4) resolveDone();
        },
        interrupted: () => undefined,
      });
      const stopTwo = store.events.follow('run_e', 2, { event: (event) => fromTwo.push(event.seq), interrupted: () => undefined });
      await expect(
        store.transaction(async (tx) => {
          await tx.emit('run_e', runEvent('run_e', 'failed'));
          throw new Error('not this one');
        }),
      ).rejects.toThrow('not this one');
      expect(await store.transaction((tx) => tx.emit('run_e', runEvent('run_e', 'requires_action')))).toBe(3);
      await store.transaction((tx) => tx.emit('run_e', runEvent('run_e', 'completed')));
      await done;
      stop();
      stopTwo();
      expect(seen.map((event) => [event.seq, event.event.event])).toEqual([
        [1, 'thread.run.queued'],
        [2, 'thread.run.in_progress'],
        [3, 'thread.run.requires_action'],
        [4, 'thread.run.completed'],
      ]);
      expect(fromTwo).toEqual([3, 4]);
    });

    test('leases: one holder at a time; taken over, handed back, claimed', async () => {
      await store.transaction(async (tx) => {
        await tx.insert('threads', thread('thread_l'));
        await tx.insert('runs', run('run_l', 'thread_l'));
        await tx.insert('run_progress', blankProgress('run_l'));
      });
      const first = await store.transaction((tx) => tx.takeRun('run_l', 0));
      expect(await store.transaction((tx) => tx.holdsRun('run_l', first.token))).toBe(true);
      expect(await store.leases.claim(10)).toEqual([]);
      expect(await store.leases.renew([first])).toEqual([]);
      // Taken over (a cancel on another replica): the first lease is lost.
      const second = await store.transaction((tx) => tx.takeRun('run_l', 0));
      expect(await store.transaction((tx) => tx.holdsRun('run_l', first.token))).toBe(false);
      expect(await store.leases.renew([first])).toEqual(['run_l']);
      expect(await store.leases.renew([second])).toEqual([]);
      // Handed back (a replica shutting down): due at once, claimed by whoever looks.
      await store.leases.release([{ ...second, dueInMs: 0 }]);
      expect(await store.transaction((tx) => tx.holdsRun('run_l', second.token))).toBe(false);
      const claimed = await store.leases.claim(10);
      expect(claimed.map((claim) => claim.runId)).toEqual(['run_l']);
      expect(await store.transaction((tx) => tx.holdsRun('run_l', claimed[0]?.token ?? ''))).toBe(true);
      expect(await store.leases.claim(10)).toEqual([]);
      // A run that ended has no lease to hold.
      await store.transaction((tx) => tx.delete('run_progress', 'run_l'));
      expect(await store.transaction((tx) => tx.holdsRun('run_l', claimed[0]?.token ?? ''))).toBe(false);
    });

    test('files: bytes in, streamed out; text kept; links go with the file; resets and a full index refuse', async () => {
      const bytes = Buffer.alloc(700 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 251;
      const upload = async (id: string, content: Buffer, text: string | null, maxTextChars = 1000): Promise<unknown> => {
        const writer = store.files.create(id);
        await writer.write(content.subarray(0, 1000));
        await writer.write(content.subarray(1000));
        return store.keepFile({
          record: { id, object: 'file', bytes: content.length, created_at: 1, filename: `${id}.txt`, purpose: 'assistants', status: 'processed' },
          content: writer,
          text: text === null ? null : { json: JSON.stringify({ text }), chars: text.length },
          resetsSeen: await store.resets(),
          maxTextChars,
        });
      };
      expect(await upload('file-a', bytes, 'x'.repeat(600))).toMatchObject({ id: 'file-a', bytes: bytes.length });
      const content = await store.files.open('file-a');
      expect(content?.size).toBe(bytes.length);
      expect((await readAll(content!.stream)).equals(bytes)).toBe(true);
      const text = await store.files.open('file-a', 'text');
      expect(JSON.parse((await readAll(text!.stream)).toString())).toEqual({ text: 'x'.repeat(600) });
      expect(await store.files.open('file-none')).toBeUndefined();

      // A shared store counts room in the index over every file (600 + 500 > 1000); the
      // embedded store leaves that to its one process's index (retrieval.ts).
      const refused = await upload('file-b', Buffer.from('small'), 'y'.repeat(500)).then(
        () => null,
        (error: unknown) => error,
      );
      if (store.shared) expect(refused).toBeInstanceOf(TextIndexFull);
      else expect(refused).toBeNull();
      expect(await upload('file-c', Buffer.alloc(0), null)).toMatchObject({ bytes: 0 });
      const empty = await store.files.open('file-c');
      expect(empty?.size).toBe(0);
      // The stream owns the file handle: one not read to its end is destroyed, which closes it.
      empty?.stream.destroy();
      expect(await store.files.open('file-c', 'text')).toBeUndefined();

      await store.transaction(async (tx) => {
        await tx.insert('assistants', { id: 'asst_f', object: 'assistant', created_at: 1, name: null, description: null, model: 'm', instructions: null, tools: [], metadata: {} });
        await tx.insert('assistant_files', { id: 'asst_f/file-a', assistant_id: 'asst_f', file_id: 'file-a', created_at: 1 });
      });
      expect(await store.deleteFile('file-a')).toBe(true);
      expect(await store.deleteFile('file-a')).toBe(false);
      expect(await store.files.open('file-a')).toBeUndefined();
      expect(await store.read.list('assistant_files', { assistant_id: 'asst_f' })).toEqual([]);

      // An upload under way while the data is reset keeps nothing.
      const writer = store.files.create('file-d');
      await writer.write(Buffer.from('late'));
      const resetsSeen = await store.resets();
      await store.reset();
      await expect(
        store.keepFile({
          record: { id: 'file-d', object: 'file', bytes: 4, created_at: 1, filename: 'd.txt', purpose: 'assistants', status: 'processed' },
          content: writer,
          text: null,
          resetsSeen,
          maxTextChars: 1000,
        }),
      ).rejects.toBeInstanceOf(ResetDuringUpload);
      await writer.abort();
      expect(await store.read.get('files', 'file-d')).toBeUndefined();
      expect(await store.read.list('files')).toEqual([]);
    });

    test('reset deletes everything, ends every stream and tells the listeners', async () => {
      await store.transaction(async (tx) => {
        await tx.insert('threads', thread('thread_z'));
        await tx.emit('run_z', runEvent('run_z', 'queued'));
      });
      const interrupted = new Promise<string>((resolve) => store.events.follow('run_z', 1, { event: () => undefined, interrupted: resolve }));
      let told = 0;
      store.onReset(() => {
        told++;
      });
      await store.reset();
      expect(await interrupted).toBe('The server was reset while this run was streaming.');
      expect(told).toBeGreaterThanOrEqual(1);
      expect(await store.read.list('threads')).toEqual([]);
      await expect(store.check()).resolves.toBeUndefined();
    });
  });
}
