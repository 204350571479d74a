/**
 * Reading a listing's pages ahead from remembered cursors (CursorPaginator `pages({ hints })`),
 * against a fake list function: the listing is always the one a reader going page by page
 * gets, whatever the hints and whatever the list did since they were made; the requests are
 * those a page-by-page reader sends when the hints are right, at most READ_AHEAD at once;
 * and a hostile list still ends, as it does without hints. The same over HTTP against the
 * project's server is at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CursorPaginator, listingCursors, MAX_PAGES, READ_AHEAD, type CursorParams, type ListPage } from '../../src/api/pagination.js';
import { PaginationError } from '../../src/api/errors.js';
import type { ListResponse } from '../../src/api/models.js';
import { startHarness, type Harness } from './harness.js';

interface Item {
  id: string;
}

const ids = (count: number, prefix = 'asst_'): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);

/** A list of `items` (the array as it is when each request is answered), paged as the API does; an unknown cursor is a 400. */
function fakeList(items: () => readonly string[], options: { fail?: (after: string | undefined, attempt: number) => Error | null } = {}) {
  const requests: Array<string | undefined> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const attempts = new Map<string | undefined, number>();
  const list: ListPage<CursorParams, Item> = async ({ limit = 20, after }) => {
    requests.push(after);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const attempt = (attempts.get(after) ?? 0) + 1;
      attempts.set(after, attempt);
      const failure = options.fail?.(after, attempt) ?? null;
      if (failure !== null) throw failure;
      const all = items();
      const start = after === undefined ? 0 : all.indexOf(after) + 1;
      if (after !== undefined && start === 0) throw new Error(`400: no object with id '${after}' in this list`);
      const data = all.slice(start, start + limit).map((id) => ({ id }));
      return { object: 'list', data, firstId: data[0]?.id ?? null, lastId: data.at(-1)?.id ?? null, hasMore: start + limit < all.length };
    } finally {
      inFlight -= 1;
    }
  };
  return { list, requests, maxInFlight: () => maxInFlight };
}

const source = { path: '/assistants', baseUrl: 'http://127.0.0.1:1/v1' };

async function listAll(list: ListPage<CursorParams, Item>, hints: readonly string[], maxPages?: number): Promise<string[]> {
  const paginator = new CursorPaginator(list, {}, { ...source, ...(maxPages === undefined ? {} : { maxPages }) });
  const out: string[] = [];
  for await (const page of paginator.pages({ hints })) out.push(...page.data.map((item) => item.id));
  return out;
}

/** The requests a reader going page by page sends for `all`. */
function pageByPage(all: readonly string[]): Array<string | undefined> {
  return [undefined, ...listingCursors(all)];
}

describe('listingCursors', () => {
  it('is the id ending each full page of 100, but never the last item', () => {
    expect(listingCursors(ids(100))).toEqual([]);
    expect(listingCursors(ids(101))).toEqual(['asst_000099']);
    expect(listingCursors(ids(1000))).toEqual(ids(1000).filter((_, i) => i % 100 === 99 && i < 999));
    expect(listingCursors(ids(1001))).toHaveLength(10);
    expect(listingCursors([])).toEqual([]);
  });
});

describe('reading ahead from hints', () => {
  it('without hints, reads page by page exactly as before', async () => {
    const all = ids(1000);
    const fake = fakeList(() => all);
    expect(await listAll(fake.list, [])).toEqual(all);
    expect(fake.requests).toEqual(pageByPage(all));
    expect(fake.maxInFlight()).toBe(1);
  });

  it('with the hints of the same listing, sends the same requests, all at once', async () => {
    const all = ids(1000);
    const fake = fakeList(() => all);
    expect(await listAll(fake.list, listingCursors(all))).toEqual(all);
    expect(fake.requests).toEqual(pageByPage(all));
    expect(fake.maxInFlight()).toBe(10);
  });

  it('at 10,000 (99 hints), keeps at most READ_AHEAD requests out and sends no more than page by page', async () => {
    const all = ids(10_000);
    const fake = fakeList(() => all);
    expect(await listAll(fake.list, listingCursors(all))).toEqual(all);
    expect([...fake.requests].sort()).toEqual([...pageByPage(all)].sort());
    expect(fake.maxInFlight()).toBe(READ_AHEAD);
  });

  it('lists exactly what is there after creates and deletes anywhere, hint ids included', async () => {
    const before = ids(1000);
    const hints = listingCursors(before);
    const cases: Array<[string, (list: string[]) => string[]]> = [
      ['a hint deleted', (l) => l.filter((id) => id !== hints[3])],
      ['every hint deleted', (l) => l.filter((id) => !hints.includes(id))],
      ['deletes before a hint', (l) => l.filter((_, i) => i < 380 || i > 395)],
      ['deletes after the last hint', (l) => l.filter((_, i) => i < 950)],
      ['creates at the end', (l) => [...l, ...ids(250, 'asst_new_')]],
      ['creates in the middle (another order)', (l) => [...l.slice(0, 450), ...ids(30, 'asst_mid_'), ...l.slice(450)]],
      ['all gone but one', (l) => l.slice(0, 1)],
      ['all gone', () => []],
      ['hints in another order', (l) => [...l.slice(500), ...l.slice(0, 500)]],
      ['reversed', (l) => [...l].reverse()],
    ];
    for (const [what, change] of cases) {
      const now = change(before);
      const fake = fakeList(() => now);
      expect(await listAll(fake.list, hints), what).toEqual(now);
      // Each request at most once per cursor; at most the page-by-page ones, plus one per hint, plus one repair per hint.
      expect(fake.requests.length, what).toBeLessThanOrEqual(Math.ceil(now.length / 100) + 2 * hints.length + 1);
    }
  });

  it('lists exactly what is there when the list changes while it is read', async () => {
    let now = ids(1000);
    const hints = listingCursors(now);
    const stable = now.filter((id) => !id.endsWith('7'));
    let late = 0;
    const fake = fakeList(() => {
      // Each answer sees a list changed again: some of those ending in 7 deleted, a new one at the end.
      now = [...now.filter((id, i) => !(i % 7 === 0 && id.endsWith('7'))), `asst_late_${late++}`];
      return now;
    });
    const listed = await listAll(fake.list, hints);
    expect(new Set(listed).size).toBe(listed.length);
    for (const id of stable) expect(listed).toContain(id);
    const order = listed.filter((id) => stable.includes(id));
    expect(order).toEqual(stable);
  });

  it('asks again, when it gets there, for a page read ahead that failed; its error is the listing\'s only if it fails again', async () => {
    const all = ids(1000);
    const hints = listingCursors(all);
    const once = fakeList(() => all, { fail: (after, attempt) => (after === hints[4] && attempt === 1 ? new Error('503') : null) });
    expect(await listAll(once.list, hints)).toEqual(all);
    expect(once.requests.filter((after) => after === hints[4])).toHaveLength(2);
    expect(once.requests).toHaveLength(11);

    const always = fakeList(() => all, { fail: (after) => (after === hints[4] ? new Error('garbage') : null) });
    await expect(listAll(always.list, hints)).rejects.toThrow('garbage');

    // A failure of a page the listing never gets to is nobody's business.
    const unreached = ids(450);
    const gone = fakeList(() => unreached, { fail: (after) => (after !== undefined && after > 'asst_000450' ? new Error('400') : null) });
    expect(await listAll(gone.list, hints)).toEqual(unreached);
  });

  it('ends a hostile list as it does without hints: out-of-order hints, repeated cursors, no end', async () => {
    const all = ids(1000);
    const hints = listingCursors(all);
    // Every page holds hints in an order of its own: the listing follows the server's order.
    const shuffled = [...all].sort((a, b) => (a.split('').reverse().join('') < b.split('').reverse().join('') ? -1 : 1));
    const mixed = fakeList(() => shuffled);
    expect(await listAll(mixed.list, hints)).toEqual(shuffled);

    // The same page for every cursor: stopped at the repeated cursor.
    const same: ListPage<CursorParams, Item> = async () => page(ids(100), true);
    await expect(listAll(same, hints)).rejects.toThrow(/repeated the cursor "asst_000099" on page 2/);

    // Pages that never end: stopped after MAX_PAGES requests in all, read ahead or not.
    let sent = 0;
    let next = 0;
    const endless: ListPage<CursorParams, Item> = async () => {
      sent += 1;
      return page(ids(2, `asst_${next++}_`), true);
    };
    const error = await listAll(endless, hints, 50).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaginationError);
    expect(String(error)).toContain('did not end after 50 pages');
    expect(sent).toBeLessThanOrEqual(50);

    // Hints that name every page's first item, and pages that are hints only.
    sent = 0;
    const hintsOnly: ListPage<CursorParams, Item> = async ({ after }) => {
      sent += 1;
      const start = after === undefined ? 0 : Number(after.slice(5)) + 1;
      return page(ids(1000).slice(start, start + 3), true);
    };
    const error2 = await listAll(hintsOnly, ids(1000), 40).catch((e: unknown) => e);
    expect(String(error2)).toContain('did not end after 40 pages');
    expect(sent).toBeLessThanOrEqual(40);
    expect(MAX_PAGES).toBe(1000);
  });

  it('takes no hint that is the starting cursor, empty, or given twice', async () => {
    const all = ids(300);
    const fake = fakeList(() => all);
    expect(await listAll(fake.list, ['', 'asst_000099', 'asst_000099', 'asst_000199', 'asst_000199'])).toEqual(all);
    expect(fake.requests).toEqual(pageByPage(all));
  });
});

function page(items: readonly string[], hasMore: boolean): ListResponse<Item> {
  return { object: 'list', data: items.map((id) => ({ id })), firstId: items[0] ?? null, lastId: items.at(-1) ?? null, hasMore };
}

describe('over HTTP, against the project server', () => {
  let h: Harness;
  let created: string[];
  beforeAll(async () => {
    h = await startHarness();
    created = [];
    for (let i = 0; i < 350; i++) created.push((await h.api.createAssistant({ createAssistantRequest: { model: 'gpt-4', name: `a${i}` } })).id);
  }, 60_000);
  afterAll(() => h.close());

  const read = async (hints: readonly string[]): Promise<{ ids: string[]; requests: number }> => {
    const before = h.server.stats().requests;
    const listed: string[] = [];
    for await (const p of h.api.iterateAssistants({ order: 'asc' }).pages({ hints })) listed.push(...p.data.map((a) => a.id));
    return { ids: listed, requests: h.server.stats().requests - before };
  };

  it('reads the same listing in the same requests from valid hints, and the right one after changes', async () => {
    const cold = await read([]);
    expect(cold).toEqual({ ids: created, requests: 4 });
    const hints = listingCursors(cold.ids);
    expect(await read(hints)).toEqual({ ids: created, requests: 4 });

    // A hint deleted (its page after answers 400), one before another hint, and new ones at the end.
    await h.api.deleteAssistant({ assistantId: hints[1]! });
    await h.api.deleteAssistant({ assistantId: created[50]! });
    const extra = [];
    for (let i = 0; i < 60; i++) extra.push((await h.api.createAssistant({ createAssistantRequest: { model: 'gpt-4' } })).id);
    const now = [...created.filter((id) => id !== hints[1] && id !== created[50]), ...extra];
    const changed = await read(hints);
    expect(changed.ids).toEqual(now);
    expect(changed.requests).toBeLessThanOrEqual(Math.ceil(now.length / 100) + 2);
    expect((await read(listingCursors(changed.ids))).requests).toBe(Math.ceil(now.length / 100));
  });
});
