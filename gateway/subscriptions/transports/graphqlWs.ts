import type http from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { closeSockets } from '../../../platform/http/subscriptions.js';
import { Confirmer } from '../confirm.js';
import { isRefusal, type Connection } from '../connection.js';
import type { SubscriptionCore } from '../core.js';

/**
 * graphql-ws at `/graphql` over the core: a connection opens on `connection_init` (its token in
 * the payload's `authorization: "Bearer …"`, or `token`), refused with the refusal's close code;
 * each subscribe is admitted and run by the core, resumable by the client's subscription id
 * (stock clients resend it on reconnect) from what pongs confirmed ({@link Confirmer}).
 * Returns the function that closes every socket with 1012 after the core's last events.
 */
export function serveGraphqlWs(httpServer: http.Server, core: SubscriptionCore) {
  const { metrics } = core;
  /** Set when the sockets are closed for a shutdown (see Confirmer). */
  let restarting = false;
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1 << 20 });
  const server = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const opened = await core.connect(authorizationOf(ctx.connectionParams ?? {}), request, {
          buffered: () => socket.bufferedAmount,
          close: (code, reason) => socket.close(code, reason),
        });
        if (isRefusal(opened)) {
          socket.close(opened.code, opened.reason);
          return false;
        }
        opened.confirmer = new Confirmer(socket, core.positions, () => restarting);
        ctx.extra.connection = opened;
        metrics.websocketConnections.inc();
        return true;
      },
      onClose: (ctx) => {
        const connection = ctx.extra.connection;
        if (!connection) return;
        ctx.extra.connection = undefined;
        core.disconnect(connection);
        metrics.websocketConnections.dec();
      },
      // The client's id of the operation goes with it: a reconnect resumes by it.
      onSubscribe: (ctx, id, payload) => core.admit(ctx.extra.connection!, payload, id),
      execute: (args) => core.execute(args) as never,
      subscribe: (args) => core.subscribe(args) as never,
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: core.formatErrors(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => core.formatErrors(errors),
    },
    wss,
  );
  return async () => {
    restarting = true;
    await closeSockets(wss, () => server.dispose());
  };
}

/** The `Authorization` value of a `connection_init` payload. */
function authorizationOf(params: Readonly<Record<string, unknown>>): string | undefined {
  const given = params.authorization ?? params.Authorization;
  if (typeof given === 'string') return given;
  return typeof params.token === 'string' ? `Bearer ${params.token}` : undefined;
}
