/**
 * Cursor pagination over any list operation: follows `after` from page to page (100 per
 * page unless the request names a limit) and stops when `hasMore` is false, a page is
 * empty, or a page has no last id. A server that never stops (a cursor it already gave,
 * or more than MAX_PAGES requests) gets a PaginationError instead of an endless loop.
 *
 * Reading ahead (`pages({ hints })`): given the cursors an earlier listing of the same list
 * ended its full pages with (`listingCursors`), the page after each is asked for at once,
 * beside the first, READ_AHEAD requests at a time. A page read ahead is used only once the
 * listing has reached its cursor: it is then the very request a reader going page by page
 * would send next, sent earlier. So the listing is always a chain of pages each asked for
 * `after` the last item before it, as one read page by page makes (a page cut short after
 * a hint it holds is such a page with a smaller limit); hints decide only which requests
 * go out early, never what the listing holds: an object there the whole time the listing
 * is read is in it once, in the server's order (one created or deleted meanwhile may or
 * may not be, as page by page). A hint the listing never reaches (the object was deleted,
 * the list changed) costs its one request; a page that reaches no hint is followed page by
 * page, as without hints.
 */
import { PaginationError } from './errors.js';
import type { ListResponse } from './models.js';

export const PAGE_LIMIT = 100;
/** Pages read before a listing is taken for broken: 100,000 assistants at 100 a page. Requests read ahead count too. */
export const MAX_PAGES = 1_000;
/**
 * Requests of one listing in flight at once when it reads ahead: 10, as apply's adaptive
 * concurrency starts with (a rate any server takes before it has said otherwise). 1,000
 * objects (10 pages) are read in one round trip, 10,000 in about 11.
 */
export const READ_AHEAD = 10;

/** What a listing is, for its errors: `GET /assistants` at the base URL. */
export interface ListingSource {
  path: string;
  baseUrl: string;
  /** Default MAX_PAGES. */
  maxPages?: number;
}

/** The list parameters every paginated request has. */
export interface CursorParams {
  limit?: number;
  after?: string;
}

export type ListPage<R, T> = (request: R) => Promise<ListResponse<T>>;

export interface PagesOptions {
  /**
   * The cursors an earlier listing of the same list ended its full pages with
   * (`listingCursors`), in its order: the pages after them are asked for ahead. Hints are
   * never trusted: a wrong one costs a request, not a wrong listing. None: page by page.
   */
  hints?: readonly string[];
}

/**
 * The hints a complete listing leaves for the next (`pages({ hints })`): the id that ends
 * each full page of `pageSize`, except the listing's last item (a page after it would be
 * empty). For 1,000 objects, 9 ids; for 100 or fewer, none.
 */
export function listingCursors(ids: readonly string[], pageSize: number = PAGE_LIMIT): string[] {
  const cursors: string[] = [];
  for (let end = pageSize - 1; end < ids.length - 1; end += pageSize) cursors.push(ids[end] ?? '');
  return cursors;
}

export class CursorPaginator<R extends CursorParams, T extends { id: string }> implements AsyncIterable<T> {
  readonly #list: ListPage<R, T>;
  readonly #request: R;
  readonly #source: ListingSource;

  constructor(list: ListPage<R, T>, request: R, source: ListingSource) {
    this.#list = list;
    this.#request = request;
    this.#source = source;
  }

  /** Every page, in order (read ahead from `options.hints`, when given: see the top of this file). */
  async *pages(options: PagesOptions = {}): AsyncGenerator<ListResponse<T>> {
    const maxPages = this.#source.maxPages ?? MAX_PAGES;
    let sent = 0;
    const send = (after: string | undefined): Promise<ListResponse<T>> => {
      sent += 1;
      return this.#list({ ...this.#request, limit: this.#request.limit ?? PAGE_LIMIT, after });
    };
    // MAX_PAGES bounds every request of the listing, those read ahead included.
    const sendNext = (after: string): Promise<ListResponse<T>> => {
      if (sent >= maxPages) this.#fail(`did not end after ${maxPages.toLocaleString('en-US')} pages`);
      return send(after);
    };
    const start = this.#request.after;
    const used = new Set<string>(start === undefined ? [] : [start]);
    const ahead = new ReadAhead<T>(options.hints ?? [], used, send, () => sent < maxPages);
    let next = send(start);
    ahead.fill();
    for (let count = 1; ; count++) {
      const read = await next;
      if (read.data.length === 0) return;
      const page = read.hasMore ? ahead.cutAtHint(read) : read;
      yield page;
      if (!page.hasMore || page.lastId === null) return;
      if (used.has(page.lastId)) this.#fail(`repeated the cursor ${shown(page.lastId)} on page ${count}, so it would never end`);
      const cursor = page.lastId;
      used.add(cursor);
      // A page read ahead that failed is asked for again, now that it is the next one: its error is then this listing's.
      const early = ahead.take(cursor);
      next = early === null ? sendNext(cursor) : early.then((ready) => ready ?? sendNext(cursor));
      ahead.fill();
    }
  }

  #fail(problem: string): never {
    throw new PaginationError({ method: 'GET', path: this.#source.path, baseUrl: this.#source.baseUrl, problem });
  }

  /** Every item of every page. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Every item of every page, collected. */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}

/** A cursor the server chose, safe in a one-line message: quoted, and cut short. */
function shown(cursor: string): string {
  return JSON.stringify(cursor.length > 64 ? `${cursor.slice(0, 64)}...` : cursor);
}

/**
 * The pages of one listing asked for ahead, one per hint, in the hints' order, at most
 * READ_AHEAD - 1 at a time beside the listing's own request. Each is handed out once, and
 * only for its own cursor; a failed one is handed out as null (asked for again by the
 * caller). Hints the listing went past are not asked for.
 */
class ReadAhead<T extends { id: string }> {
  readonly #hints: string[];
  /** Each hint's place in #hints. */
  readonly #place = new Map<string, number>();
  readonly #pages = new Map<string, Promise<ListResponse<T> | null>>();
  readonly #used: ReadonlySet<string>;
  readonly #send: (after: string) => Promise<ListResponse<T>>;
  readonly #mayAsk: () => boolean;
  /** The next hint to ask for. */
  #next = 0;
  /** The place of the last hint the listing reached; those before it are not asked for. */
  #reached = -1;
  #inFlight = 0;

  constructor(hints: readonly string[], used: ReadonlySet<string>, send: (after: string) => Promise<ListResponse<T>>, mayAsk: () => boolean) {
    this.#hints = [];
    for (const hint of hints) {
      if (typeof hint !== 'string' || hint === '' || used.has(hint) || this.#place.has(hint)) continue;
      this.#place.set(hint, this.#hints.length);
      this.#hints.push(hint);
    }
    this.#used = used;
    this.#send = send;
    this.#mayAsk = mayAsk;
  }

  /** Asks for the next pages ahead while fewer than READ_AHEAD requests are out. */
  fill(): void {
    while (this.#next < this.#hints.length && this.#inFlight < READ_AHEAD - 1 && this.#mayAsk()) {
      const place = this.#next++;
      const hint = this.#hints[place] ?? '';
      if (place <= this.#reached || this.#used.has(hint)) continue;
      this.#inFlight += 1;
      const page = this.#send(hint).then(
        (read) => read,
        () => null,
      );
      this.#pages.set(hint, page);
      void page.then(() => {
        this.#inFlight -= 1;
      });
    }
  }

  /**
   * `page`, cut after the first hint it holds that the listing has not yet reached (when
   * that is not its last item already): the listing then goes on from that hint, with the
   * page read ahead for it, instead of from the page's end, which no page read ahead starts
   * from. Items cut off are the next page's first ones.
   */
  cutAtHint(page: ListResponse<T>): ListResponse<T> {
    if (this.#hints.length === 0) return page;
    for (let i = 0; i < page.data.length - 1; i++) {
      const id = page.data[i]?.id;
      if (id === undefined || this.#used.has(id)) continue;
      const place = this.#place.get(id);
      if (place !== undefined && place > this.#reached) {
        const data = page.data.slice(0, i + 1);
        return { ...page, data, lastId: id, hasMore: true };
      }
    }
    return page;
  }

  /** The page after `cursor`, now that the listing has reached it: read ahead (null when that failed), or null when it was not. */
  take(cursor: string): Promise<ListResponse<T> | null> | null {
    const place = this.#place.get(cursor);
    if (place === undefined) return null;
    this.#reached = Math.max(this.#reached, place);
    const page = this.#pages.get(cursor) ?? null;
    this.#pages.delete(cursor);
    return page;
  }
}
