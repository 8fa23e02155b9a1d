import type { EntityManager } from '@mikro-orm/postgresql';
import { NotificationChannel, NotificationPolicy } from './entities/NotificationPolicy.js';

export const DEMO_POLICIES: NotificationPolicy[] = [
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
];

export async function seed(em: EntityManager): Promise<void> {
  await em.transactional((tx) => tx.upsertMany(NotificationPolicy, DEMO_POLICIES));
}

export async function isEmpty(em: EntityManager): Promise<boolean> {
  return (await em.count(NotificationPolicy)) === 0;
}
