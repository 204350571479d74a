/**
 * Cursor pagination over any list operation: follows `after` from page to page (100 per
 * page unless the request names a limit) and stops when `hasMore` is false, a page is
 * empty, or a page has no last id.
 */
import type { ListResponse } from './models.js';

export const PAGE_LIMIT = 100;

/** The list parameters every paginated request has. */
export interface CursorParams {
  limit?: number;
  after?: string;
}

export type ListPage<R, T> = (request: R) => Promise<ListResponse<T>>;

export class CursorPaginator<R extends CursorParams, T> implements AsyncIterable<T> {
  readonly #list: ListPage<R, T>;
  readonly #request: R;

  constructor(list: ListPage<R, T>, request: R) {
    this.#list = list;
    this.#request = request;
  }

  /** Every page, in order. */
  async *pages(): AsyncGenerator<ListResponse<T>> {
    let after = this.#request.after;
    for (;;) {
      const page = await this.#list({ ...this.#request, limit: this.#request.limit ?? PAGE_LIMIT, after });
      if (page.data.length === 0) return;
      yield page;
      if (!page.hasMore || page.lastId === null) return;
      after = page.lastId;
    }
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
