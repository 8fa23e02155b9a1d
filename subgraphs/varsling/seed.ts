import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction } from '../../platform/db/transaction.js';
import { NotificationChannel, NotificationPolicy } from './entities/NotificationPolicy.js';

/** The demo policies; the columns left out take the varslingsstrategi's defaults. */
export const DEMO_POLICIES = [
  {
    id: '0b7c5e2a-3f4d-4e5f-9a6b-000000000001',
    name: 'Standard: e-post, SMS om e-post mangler',
    channel: NotificationChannel.EMAIL_PREFERRED,
    senderOrgnr: null,
    serviceCode: null,
  },
  {
    id: '0b7c5e2a-3f4d-4e5f-9a6b-000000000002',
    name: 'Skatter og avgifter: SMS',
    channel: NotificationChannel.SMS_PREFERRED,
    senderOrgnr: null,
    serviceCode: '4255/8',
  },
  {
    id: '0b7c5e2a-3f4d-4e5f-9a6b-000000000003',
    name: 'Oslo kommune, næringsutvikling: e-post',
    channel: NotificationChannel.EMAIL,
    senderOrgnr: '958935420',
    serviceCode: '4255/7',
  },
] as const;

export async function seed(em: EntityManager): Promise<void> {
  await inTransaction(em, async (run) => {
    for (const p of DEMO_POLICIES) {
      const inserted = await run(
        `insert into notification_policy (id, name, channel, sender_orgnr, service_code, changed_by)
         values (?, ?, ?, ?, ?, 'seed') on conflict do nothing returning id`,
        [p.id, p.name, p.channel, p.senderOrgnr, p.serviceCode],
      );
      if (inserted.length === 0) continue;
      await run(
        `insert into policy_change (policy_id, version, action, actor, after)
         select id, version, 'CREATED', 'seed', to_jsonb(p) from notification_policy p where id = ?`,
        [p.id],
      );
    }
  });
}

export async function isEmpty(em: EntityManager): Promise<boolean> {
  return (await em.count(NotificationPolicy)) === 0;
}
