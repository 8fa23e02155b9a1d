import type { EntityManager } from '@mikro-orm/postgresql';
import { groupedLoader, keyedLoader } from '../../../platform/graphql/loaders.js';
import { Attachment } from '../entities/Attachment.js';
import { Message } from '../entities/Message.js';
import { StatusChange } from '../entities/StatusChange.js';
import { inboxLoaders } from './inbox.js';

export type Loaders = ReturnType<typeof createLoaders>;

export function createLoaders(em: EntityManager) {
  return {
    message: keyedLoader(
      (ids: readonly string[]) => em.find(Message, { id: { $in: [...ids] } }),
      (m) => m.id,
    ),
    attachments: groupedLoader(
      (ids: readonly string[]) =>
        em.find(Attachment, { messageId: { $in: [...ids] } }, { orderBy: { position: 'asc' } }),
      (a) => a.messageId,
    ),
    attachmentContent: keyedLoader(
      async (ids: readonly string[]) =>
        em.getConnection().execute<Array<{ id: string; content: Buffer | null }>>(
          em
            .getKnex()
            .select('id', 'content')
            .from('attachment')
            .whereIn('id', [...ids]),
        ),
      (a) => a.id,
    ),
    statusHistory: groupedLoader(
      (ids: readonly string[]) =>
        em.find(StatusChange, { messageId: { $in: [...ids] } }, { orderBy: { id: 'asc' } }),
      (s) => s.messageId,
    ),
    inbox: inboxLoaders(em),
  };
}
