/**
 * A load balancer for tests: an HTTP server on a free loopback port that sends each request
 * to a random one of its backends (a new pick per request, whatever the connection), and
 * streams the answer back as it comes, server-sent events included.
 *
 *   const balancer = await startLoadBalancer(replicas.map((server) => server.origin));
 *   new OpenAI({ baseURL: `${balancer.origin}/v1`, ... });
 *   balancer.picks   // requests sent to each backend
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  origin: string;
  /** Requests sent to each backend, by its index. */
  picks: number[];
  close(): Promise<void>;
}

export async function startLoadBalancer(backends: readonly string[]): Promise<LoadBalancer> {
  const picks = backends.map(() => 0);
  const server = createServer((incoming, outgoing) => {
    const index = Math.floor(Math.random() * backends.length);
    picks[index] = (picks[index] ?? 0) + 1;
    const backend = new URL(backends[index] as string);
    const forwarded = request(
      { host: backend.hostname, port: backend.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: backend.host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    outgoing.on('close', () => forwarded.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    picks,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
