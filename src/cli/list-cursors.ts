/**
 * The assistant listing's cursors, remembered between runs so the next listing reads its
 * pages ahead (CursorPaginator's `hints`): `.assistants/cache/list-cursors.json` beside the
 * manifest, with the rules of every cache there (private-cache.ts). Per listing (the
 * endpoint, and the organization and project headers, which choose what it lists), the id
 * that ends each full page of the last complete listing. Never a key, nor a hash of one:
 * ids are not secret, and another key's account on the same endpoint only costs requests.
 * Hints are never trusted over the server, so a cache that is stale, wrong or another
 * account's costs requests, not correctness; one that cannot be read, is too large or is
 * not in this shape is ignored, and rewritten at the next complete listing.
 */
import { listingCursors, MAX_PAGES } from '../api/index.js';
import { isJsonRecord } from '../json.js';
import { readCacheFile, writeCacheFile } from '../private-cache.js';

/** What one listing is: the same endpoint, organization and project list the same assistants. */
export interface ListingKey {
  /** As plans and state record it: a base URL, or `local`. */
  endpoint: string;
  organization: string | null;
  project: string | null;
}

interface Entry extends ListingKey {
  cursors: string[];
}

const VERSION = 1;
/** The list the cursors are of (one today; named, so another list's are never taken for them). */
const LIST = 'GET /assistants?order=asc';
/** Listings kept: the most recently written first. */
const MAX_LISTINGS = 8;
/** A listing reads at most MAX_PAGES pages: the first needs no cursor. */
const MAX_CURSORS = MAX_PAGES - 1;
/** Ids longer than this, or with other characters, are not kept (a cursor goes into a query string). */
const CURSOR = /^[A-Za-z0-9_.:-]{1,128}$/;
/** 8 listings of 999 cursors of 128 characters fit; a larger file is not read. */
const MAX_CACHE_BYTES = 2 * 1024 * 1024;

export class ListCursors {
  #entries: Entry[] | null = null;
  /** The file's text as read, when it was usable. */
  #read: string | null = null;
  #changed = false;
  /** The ids of this run's complete listing, in order, once there was one. */
  #listed: string[] | null = null;

  private constructor(
    private readonly path: string,
    private readonly key: ListingKey,
  ) {}

  /** The cache at `path` (read on first use), for the listing `key`. */
  static at(path: string, key: ListingKey): ListCursors {
    return new ListCursors(path, key);
  }

  /** The cursors the last complete listing of this key left; none when there is no usable cache. */
  async hints(): Promise<string[]> {
    const entries = await this.#load();
    return [...(entries.find((entry) => this.#isOurs(entry))?.cursors ?? [])];
  }

  /** A complete listing, in its order: the hints the next run starts from. */
  listed(listing: ReadonlyArray<{ id: string }>): void {
    this.#listed = listing.map((object) => object.id);
    this.#changed = true;
  }

  /**
   * Assistants this run deletes (asked before they are, so a run that fails or is stopped
   * half way drops them too): the hints become those of this run's listing without them,
   * so the next listing reads no page after an id that is gone (which costs a request and
   * a page read page by page). Without a listing in this run, they are dropped from the
   * hints read. Creates need nothing: a listing in `asc` order puts them after every hint.
   * One that was not deleted after all costs the next listing a page, no more.
   */
  async forget(deleted: Iterable<string>): Promise<void> {
    const gone = new Set(deleted);
    if (gone.size === 0) return;
    if (this.#listed !== null) {
      this.#listed = this.#listed.filter((id) => !gone.has(id));
    } else {
      const hints = await this.hints();
      this.#replace(hints.filter((id) => !gone.has(id)));
    }
    this.#changed = true;
  }

  /** Writes the cache when this run listed or deleted anything, and it differs from the file; best effort, never throws. */
  async save(): Promise<void> {
    if (!this.#changed) return;
    await this.#load();
    if (this.#listed !== null) this.#replace(listingCursors(this.#listed));
    const text = `${JSON.stringify({ version: VERSION, list: LIST, listings: this.#entries })}\n`;
    // A no-change plan leaves the cursors it read: no write (and no fsync) at its end.
    if (text === this.#read || (await writeCacheFile(this.path, text))) {
      this.#changed = false;
      this.#read = text;
    }
  }

  #replace(cursors: readonly string[]): void {
    const kept = cursors.filter((cursor) => CURSOR.test(cursor)).slice(0, MAX_CURSORS);
    const others = (this.#entries ?? []).filter((entry) => !this.#isOurs(entry));
    this.#entries = [{ ...this.key, cursors: kept }, ...others].slice(0, MAX_LISTINGS);
  }

  #isOurs(entry: ListingKey): boolean {
    return entry.endpoint === this.key.endpoint && entry.organization === this.key.organization && entry.project === this.key.project;
  }

  async #load(): Promise<Entry[]> {
    if (this.#entries !== null) return this.#entries;
    const read = await readCacheFile(this.path, MAX_CACHE_BYTES);
    const entries = read === null ? null : parseEntries(read.data);
    // One that could not be used is rewritten at the next save, whatever this run does.
    if (entries === null && read !== null) this.#changed = true;
    if (entries !== null && read !== null) this.#read = read.text;
    this.#entries ??= entries ?? [];
    return this.#entries;
  }
}

function parseEntries(data: unknown): Entry[] | null {
  if (!isJsonRecord(data) || data.version !== VERSION || data.list !== LIST || !Array.isArray(data.listings) || data.listings.length > MAX_LISTINGS) return null;
  const entries: Entry[] = [];
  for (const value of data.listings as unknown[]) {
    if (!isJsonRecord(value)) return null;
    const { endpoint, organization, project, cursors } = value;
    if (typeof endpoint !== 'string' || !isNameOrNull(organization) || !isNameOrNull(project)) return null;
    if (!Array.isArray(cursors) || cursors.length > MAX_CURSORS || !cursors.every((c) => typeof c === 'string' && CURSOR.test(c))) return null;
    entries.push({ endpoint, organization, project, cursors: cursors as string[] });
  }
  return entries;
}

function isNameOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}
