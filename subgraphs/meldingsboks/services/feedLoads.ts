import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { MikroORM } from '../../../platform/db/orm.js';
import type { Limiter } from '../../../platform/runtime/limiter.js';
import type { InboxView } from '../access.js';
import { Message } from '../entities/Message.js';
import { inboxLoaders, inboxVariant } from '../loaders/inbox.js';

/**
 * What the live feeds read for an event, read once for all of its subscribers: the message as
 * it is at the event (one statement for the events of the same moment, whoever subscribes), and
 * an inbox's unread count after it (one statement per view). Answers are kept by event position
 * in a bounded cache, so a subscriber that is a little behind reads them too; statements queue on
 * the feeds' limiter instead of each subscriber taking a pooled connection.
 */
export class FeedLoads {
  private readonly messages: DataLoader<string, Message | null>;
  private readonly unread: DataLoader<string, number>;

  constructor(orm: MikroORM, limiter: Limiter, max = 20_000) {
    this.messages = new DataLoader(
      (keys) =>
        limiter.run(async () => {
          const ids = [...new Set(keys.map(idOf))];
          const found = await orm.em.fork().find(Message, { id: { $in: ids } });
          const byId = new Map(found.map((m) => [m.id, m]));
          return keys.map((k) => byId.get(idOf(k)) ?? null);
        }),
      { cacheMap: forgettingFailures(new LRUCache({ max })) },
    );
    this.unread = new DataLoader(
      (keys) =>
        limiter.run(async () => {
          const { unreadCounts } = inboxLoaders(orm.em.fork());
          return Promise.all(
            keys.map((k) => {
              const { inbox, view } = JSON.parse(k.slice(k.indexOf('|') + 1)) as UnreadKey;
              return unreadCounts.load({
                parent: inbox,
                variant: inboxVariant({ view, filter: null }),
              });
            }),
          );
        }),
      { cacheMap: forgettingFailures(new LRUCache({ max })) },
    );
  }

  /** The message as of the event at `position`. */
  message(position: number, messageId: string): Promise<Message | null> {
    return this.messages.load(`${position}|${messageId}`);
  }

  /** How many messages of `inbox` that `view` shows are unread, after the event at `position`. */
  unreadCount(position: number, inbox: string, view: InboxView): Promise<number> {
    return this.unread.load(`${position}|${JSON.stringify({ inbox, view } satisfies UnreadKey)}`);
  }
}

interface UnreadKey {
  inbox: string;
  view: InboxView;
}

const idOf = (key: string) => key.slice(key.indexOf('|') + 1);

/** A DataLoader cache that drops a failed load (the database away), so that it is asked again. */
function forgettingFailures<V>(lru: LRUCache<string, Promise<V>>) {
  return {
    get: (key: string) => lru.get(key),
    set: (key: string, value: Promise<V>) => {
      value.catch(() => {
        if (lru.peek(key) === value) lru.delete(key);
      });
      lru.set(key, value);
    },
    delete: (key: string) => lru.delete(key),
    clear: () => lru.clear(),
  };
}
