import pg from 'pg';
import type { Logger } from '../runtime/logger.js';
import { longLived } from './connection.js';

/**
 * How often an idle LISTEN connection is asked a trivial query: a connection that died silently
 * carries no notifications and no error, and only a query that goes unanswered reveals it.
 */
const HEARTBEAT_MS = 10_000;

export interface ListenerOptions {
  databaseUrl: string;
  channel: string;
  /** Called on every notification, and after a reconnect (notifications may have been missed). */
  onNotify: () => void;
  log: Logger;
  /** First wait before reconnecting; doubles up to `maxBackoffMs`. @default 100 */
  minBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
}

/** A LISTEN connection that comes back when it drops. */
export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on one dedicated connection. The first connect must succeed (a wrong URL fails start);
 * after that a dropped connection is logged and retried with backoff for as long as it takes.
 */
export async function listen(options: ListenerOptions): Promise<Listener> {
  const { log, channel } = options;
  const minBackoff = options.minBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 5000;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let backoff = minBackoff;
  let closed = false;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      ...longLived(options.databaseUrl, 'outbox-listen'),
      query_timeout: 5_000,
    });
    // Without a listener, an 'error' event (the server went away) would crash the process.
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', (n) => {
      if (n.channel === channel) options.onNotify();
    });
    client = c;
    try {
      await c.connect();
      await c.query(`listen ${c.escapeIdentifier(channel)}`);
    } catch (err) {
      client = undefined;
      await c.end().catch(() => {});
      throw err;
    }
  };

  const lost = (c: pg.Client, err?: Error): void => {
    if (closed || client !== c) return;
    client = undefined;
    log.warn({ err, channel, retryInMs: backoff }, 'LISTEN connection lost; reconnecting');
    c.end().catch(() => {});
    schedule();
  };

  const schedule = (): void => {
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(
        () => {
          if (closed) return;
          backoff = minBackoff;
          log.info({ channel }, 'LISTEN connection restored');
          options.onNotify();
        },
        (err: unknown) => {
          if (closed) return;
          backoff = Math.min(backoff * 2, maxBackoff);
          log.warn({ err, channel, retryInMs: backoff }, 'LISTEN reconnect failed');
          schedule();
        },
      );
    }, backoff);
  };

  await connect();
  const heartbeat = setInterval(() => {
    const c = client;
    c?.query('select 1').catch((err: unknown) => lost(c, err as Error));
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    close: async () => {
      if (closed) return;
      closed = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
