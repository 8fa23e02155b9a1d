import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { pagedChildren } from '../../../platform/graphql/pagedChildren.js';
import type { InboxView } from '../access.js';
import { CONFIDENTIAL } from '../domain/services.js';
import { Message } from '../entities/Message.js';
import type { InboxFilter } from '../resolvers/InboxFilter.js';

/** What one inbox page is cut from: the caller's view of the inbox and the client's filter. */
export interface InboxQuery {
  view: InboxView;
  filter: InboxFilter | null;
}

/** One variant key per view and filter, so that equal pages share a statement. */
export const inboxVariant = (q: InboxQuery): string[] => [JSON.stringify(q)];

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The messages the recipient sees (published, not purged), narrowed by view and filter. */
function visible(knex: Knex, variant: readonly string[], unreadOnly: boolean): Knex.QueryBuilder {
  const { view, filter } = JSON.parse(variant[0]!) as InboxQuery;
  const q = knex
    .select('m.*', knex.raw('m.recipient_orgnr as parent'))
    .from({ m: 'message' })
    .whereRaw("m.publish_seq is not null and m.status <> 'PurgedByRecipient'")
    .where((w) => {
      if (view.confidential) w.orWhere('m.service_code', CONFIDENTIAL);
      w.orWhere((o) => {
        o.whereNot('m.service_code', CONFIDENTIAL);
        if (!view.allOrdinary)
          o.whereIn('m.service_code', view.services.length ? view.services : ['-']);
      });
    });
  if (unreadOnly || filter?.unreadOnly) q.whereNull('m.read_at');
  if (filter?.statuses?.length) q.whereIn('m.status', filter.statuses);
  if (filter?.services?.length) q.whereIn('m.service_code', filter.services);
  if (filter?.senders?.length) q.whereIn('m.sender_orgnr', filter.senders);
  if (filter?.publishedFrom) q.where('m.published_at', '>=', filter.publishedFrom);
  if (filter?.publishedBefore) q.where('m.published_at', '<', filter.publishedBefore);
  if (filter?.titleContains) {
    q.whereRaw("m.title ilike ? escape '\\'", [`%${escapeLike(filter.titleContains)}%`]);
  }
  return q;
}

/**
 * Inbox pages, newest published first, for many inboxes in one statement, and their total and
 * unread counts in one statement each.
 */
export function inboxLoaders(em: EntityManager) {
  const knex = em.getKnex();
  const inbox = (unreadOnly: boolean) =>
    pagedChildren(em, {
      entity: Message,
      order: { column: 'publish_seq', direction: 'desc' },
      source: (v) => visible(knex, v, unreadOnly),
    });
  const all = inbox(false);
  return { pages: all.pages, totalCounts: all.counts, unreadCounts: inbox(true).counts };
}
