/**
 * The records of the PostgreSQL store: the StoreReader and the record operations of a
 * StoreWriter as SQL on the tables of schema.ts, with the embedded store's ordering
 * (creation order: `seq`), pagination rules and errors.
 */
import type { QueryResult, QueryResultRow } from 'pg';
import { listPage, unknownCursor, type ListPage, type PageQuery } from '../../pagination.js';
import { isActiveRun, type RunObject } from '../../threads/objects.js';
import { ActiveRunExists, KEY_FIELDS, type CollectionName, type KeyField, type Records, type StoreReader, type Where } from '../store.js';
import { driverCode } from './pg-errors.js';

export type Query = <R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]) => Promise<QueryResult<R>>;

interface BodyRow {
  body: string;
}

/** The columns written beside `body`: the collection's key fields (and whether a run is active). */
function keyColumns<C extends CollectionName>(collection: C, record: Records[C]): Array<[string, unknown]> {
  const fields = KEY_FIELDS[collection] as readonly string[];
  const columns: Array<[string, unknown]> = fields.map((field) => [field, (record as unknown as Record<string, unknown>)[field] ?? null]);
  if (collection === 'runs') columns.push(['active', isActiveRun(record as RunObject)]);
  return columns;
}

export class PgRecords implements StoreReader {
  constructor(
    protected readonly query: Query,
    protected readonly schema: string,
  ) {}

  protected table(collection: CollectionName): string {
    return `"${this.schema}".${collection}`;
  }

  /** `AND field = $n ...` for `where`, numbering from `first`; only key fields (column names) are taken. */
  #where<C extends CollectionName>(collection: C, where: Where<C> | undefined, first: number): { sql: string; values: unknown[] } {
    const values: unknown[] = [];
    let sql = '';
    for (const [field, value] of Object.entries(where ?? {})) {
      if (value === undefined) continue;
      if (!(KEY_FIELDS[collection] as readonly string[]).includes(field)) throw new Error(`${collection}: ${field} is not a key field`);
      values.push(value);
      sql += ` AND ${field} = $${first + values.length - 1}`;
    }
    return { sql, values };
  }

  #parse<C extends CollectionName>(rows: BodyRow[]): Array<Records[C]> {
    return rows.map((row) => JSON.parse(row.body) as Records[C]);
  }

  async get<C extends CollectionName>(collection: C, id: string): Promise<Records[C] | undefined> {
    const { rows } = await this.query<BodyRow>(`SELECT body FROM ${this.table(collection)} WHERE id = $1`, [id]);
    return this.#parse<C>(rows)[0];
  }

  async list<C extends CollectionName>(collection: C, where?: Where<C>): Promise<Array<Records[C]>> {
    const filter = this.#where(collection, where, 1);
    const { rows } = await this.query<BodyRow>(`SELECT body FROM ${this.table(collection)} WHERE true${filter.sql} ORDER BY seq`, filter.values);
    return this.#parse<C>(rows);
  }

  async listIn<C extends CollectionName>(collection: C, field: KeyField<C> | 'id', values: readonly string[]): Promise<Array<Records[C]>> {
    if (values.length === 0) return [];
    if (field !== 'id' && !(KEY_FIELDS[collection] as readonly string[]).includes(field)) throw new Error(`${collection}: ${String(field)} is not a key field`);
    const { rows } = await this.query<BodyRow>(`SELECT body FROM ${this.table(collection)} WHERE ${String(field)} = ANY($1::text[]) ORDER BY seq`, [[...values]]);
    return this.#parse<C>(rows);
  }

  async page<C extends CollectionName>(collection: C, where: Where<C>, query: PageQuery): Promise<ListPage<Records[C]>> {
    const { limit, order, after, before } = query;
    const filter = this.#where(collection, where, 1);
    const cursor = async (param: 'after' | 'before', id: string): Promise<string> => {
      const { rows } = await this.query<{ seq: string }>(
        `SELECT seq FROM ${this.table(collection)} WHERE id = $${filter.values.length + 1}${filter.sql}`,
        [...filter.values, id],
      );
      const seq = rows[0]?.seq;
      if (seq === undefined) throw unknownCursor(param, id);
      return seq;
    };
    const afterSeq = after === undefined ? undefined : await cursor('after', after);
    const beforeSeq = before === undefined ? undefined : await cursor('before', before);
    // In the list's order, "later" is a greater seq ascending and a smaller one descending.
    const later = order === 'asc' ? '>' : '<';
    const earlier = order === 'asc' ? '<' : '>';
    const values = [...filter.values];
    let bounds = '';
    if (afterSeq !== undefined) {
      values.push(afterSeq);
      bounds += ` AND seq ${later} $${values.length}`;
    }
    if (beforeSeq !== undefined) {
      values.push(beforeSeq);
      bounds += ` AND seq ${earlier} $${values.length}`;
    }
    // Paging backwards (before without after): the `limit` records closest to `before`.
    const backwards = before !== undefined && after === undefined;
    const direction = (order === 'asc') !== backwards ? 'ASC' : 'DESC';
    values.push(limit + 1);
    const { rows } = await this.query<BodyRow>(
      `SELECT body FROM ${this.table(collection)} WHERE true${filter.sql}${bounds} ORDER BY seq ${direction} LIMIT $${values.length}`,
      values,
    );
    const hasMore = rows.length > limit;
    const taken = this.#parse<C>(rows.slice(0, limit));
    return listPage(backwards ? taken.reverse() : taken, hasMore);
  }

  async insert<C extends CollectionName>(collection: C, record: Records[C]): Promise<Records[C]> {
    const columns = keyColumns(collection, record);
    const names = ['id', 'body', ...columns.map(([name]) => name)];
    const values = [record.id, JSON.stringify(record), ...columns.map(([, value]) => value)];
    try {
      await this.query(
        `INSERT INTO ${this.table(collection)} (${names.join(', ')}) VALUES (${names.map((_, index) => `$${index + 1}`).join(', ')})`,
        values,
      );
    } catch (error) {
      if (driverCode(error) === '23505') {
        const constraint = (error as { constraint?: unknown }).constraint;
        if (constraint === 'runs_one_active_per_thread') throw new ActiveRunExists((record as unknown as RunObject).thread_id);
        throw new Error(`${collection}: duplicate id ${record.id}`);
      }
      throw error;
    }
    return record;
  }

  async update<C extends CollectionName>(collection: C, id: string, change: (current: Records[C]) => Records[C]): Promise<Records[C] | undefined> {
    const { rows } = await this.query<BodyRow>(`SELECT body FROM ${this.table(collection)} WHERE id = $1 FOR UPDATE`, [id]);
    const current = this.#parse<C>(rows)[0];
    if (current === undefined) return undefined;
    const next = change(current);
    if (next.id !== id) throw new Error(`${collection}: update may not change the id of ${id}`);
    const columns = keyColumns(collection, next);
    try {
      await this.query(
        `UPDATE ${this.table(collection)} SET body = $2${columns.map(([name], index) => `, ${name} = $${index + 3}`).join('')} WHERE id = $1`,
        [id, JSON.stringify(next), ...columns.map(([, value]) => value)],
      );
    } catch (error) {
      if (driverCode(error) === '23505' && (error as { constraint?: unknown }).constraint === 'runs_one_active_per_thread') {
        throw new ActiveRunExists((next as unknown as RunObject).thread_id);
      }
      throw error;
    }
    return next;
  }

  async delete<C extends CollectionName>(collection: C, id: string): Promise<boolean> {
    const { rowCount } = await this.query(`DELETE FROM ${this.table(collection)} WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  async deleteWhere<C extends CollectionName>(collection: C, where: Where<C>): Promise<number> {
    const filter = this.#where(collection, where, 1);
    const { rowCount } = await this.query(`DELETE FROM ${this.table(collection)} WHERE true${filter.sql}`, filter.values);
    return rowCount ?? 0;
  }
}
