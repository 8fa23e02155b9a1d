import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { keyedLoader } from '../../../platform/loaders.js';
import { Message } from '../entities/Message.js';

export type Loaders = ReturnType<typeof createLoaders>;

export function createLoaders(em: EntityManager) {
  return {
    message: keyedLoader(
      (ids: readonly string[]) => em.find(Message, { id: { $in: [...ids] } }),
      (m) => m.id,
    ),
    /** The newest `first` messages of each recipient, in one statement for all recipients. */
    inbox: new DataLoader<{ orgnr: string; first: number }, Message[], string>(
      async (keys) => {
        const orgnrs = [...new Set(keys.map((k) => k.orgnr))];
        const limit = Math.max(...keys.map((k) => k.first));
        const rows: Array<Record<string, unknown>> = await em.getConnection().execute(
          `select * from (
             select m.*, row_number() over (
               partition by recipient_orgnr order by created_at desc, id desc) as rank
             from message m where recipient_orgnr in (?)
           ) ranked where rank <= ? order by created_at desc, id desc`,
          [orgnrs, limit],
        );
        const messages = rows.map((row) => em.map(Message, row));
        return keys.map((k) =>
          messages.filter((m) => m.recipientOrgnr === k.orgnr).slice(0, k.first),
        );
      },
      { cacheKeyFn: (k) => `${k.orgnr}:${k.first}` },
    ),
  };
}
