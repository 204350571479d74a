/**
 * Internal: the connection pool the transport sends through, loaded without the rest of
 * undici. Its index loads fetch, WebSocket, caches, mocks and proxies (~100 ms of CPU on
 * every start of plan or apply) that this client never uses; the pool and its `request`
 * are two of its modules. What the index adds to every dispatcher's prototype, the one
 * method used here is added to this pool's class only.
 */
import type { Dispatcher, Pool } from 'undici';
import UndiciPool from 'undici/lib/dispatcher/pool.js';
import request from 'undici/lib/api/api-request.js';

class RequestPool extends UndiciPool {
  override request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
    return request.call(this, options);
  }
}

/** A keep-alive pool of connections to `origin`. */
export function connectionPool(origin: string, options: Pool.Options): Dispatcher {
  return new RequestPool(origin, options);
}
