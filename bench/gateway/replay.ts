import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CALLER_HEADER, type InternalIdentity } from '../../platform/auth/internalIdentity.js';

/** A stand-in for one real subgraph that answers from answers it recorded from it. */
export interface ReplayedSubgraph {
  name: string;
  url: string;
  /** Requests received so far. */
  requests(): number;
  /** Of those, the ones the real subgraph answered (not stored yet). */
  misses(): number;
  close(): Promise<void>;
}

/**
 * Serves `name` on loopback in front of the real subgraph at `target`: the first time a caller
 * sends a request body, it is passed on and the answer stored; from then on that caller gets the
 * stored answer for that body, as the demo's static subgraphs answer from memory. The caller is
 * the one the forwarded identity names (verified with `identity`, so a token re-signed for the
 * same caller keys the same answers), never shared between callers. It keeps the subgraphs,
 * PostgreSQL and the load generator, which share a CPU, from saturating before the gateway does.
 */
export async function replaySubgraph(
  name: string,
  target: string,
  identity: InternalIdentity,
): Promise<ReplayedSubgraph> {
  const stored = new Map<string, Promise<{ status: number; text: string }>>();
  const callers = new Map<string, Promise<string>>();
  let requests = 0;
  let misses = 0;
  const callerOf = (token: string | undefined): Promise<string> => {
    if (!token) return Promise.resolve('anonymous');
    let caller = callers.get(token);
    if (!caller) {
      caller = identity.verify(token).then(
        (c) => `${c.sub ?? ''}|${c.org ?? ''}|${c.pid ?? ''}|${[...c.scopes].sort().join(' ')}`,
        () => 'anonymous',
      );
      callers.set(token, caller);
    }
    return caller;
  };
  const forward = async (body: string, headers: http.IncomingHttpHeaders) => {
    misses++;
    const pass: Record<string, string> = { 'content-type': 'application/json' };
    for (const h of [CALLER_HEADER, 'x-request-id', 'accept']) {
      const v = headers[h];
      if (typeof v === 'string') pass[h] = v;
    }
    const res = await fetch(target, { method: 'POST', headers: pass, body });
    return { status: res.status, text: await res.text() };
  };
  const server = http.createServer((req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const token = req.headers[CALLER_HEADER];
      void callerOf(typeof token === 'string' ? token : undefined)
        .then((caller) => {
          const key = `${caller}\n${body}`;
          let answer = stored.get(key);
          if (!answer) {
            answer = forward(body, req.headers);
            stored.set(key, answer);
            // A failed request is not an answer to keep.
            answer.catch(() => stored.delete(key));
          }
          return answer;
        })
        .then(
          ({ status, text }) => {
            res.writeHead(status, {
              'content-type': 'application/json; charset=utf-8',
              'content-length': Buffer.byteLength(text),
            });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(502, { 'content-type': 'text/plain' }).end(String(err));
          },
        );
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}/graphql`,
    requests: () => requests,
    misses: () => misses,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
