import type { EntityManager } from '@mikro-orm/postgresql';
import { Message } from './entities/Message.js';

const SKATTEETATEN = '974761076';
const BRREG = '974760673';
const OSLO = '958935420';

/** Fixed ids keep the seed idempotent. Titles name the enhet and the service, nothing sensitive. */
export const DEMO_MESSAGES: Array<Omit<Message, 'createdAt'> & { createdAt: Date }> = [
  {
    id: '6f1c0a9e-1d2b-4c3d-8e4f-000000000001',
    title: 'FJELLTOPP BAKERI AS (310012343): melding om skatter og avgifter',
    recipientOrgnr: '310012343',
    senderOrgnr: SKATTEETATEN,
    serviceCode: '4255/8',
    createdAt: new Date('2026-11-02T09:15:00Z'),
  },
  {
    id: '6f1c0a9e-1d2b-4c3d-8e4f-000000000002',
    title: 'FJELLTOPP BAKERI AS (310012343): melding om næringsutvikling',
    recipientOrgnr: '310012343',
    senderOrgnr: OSLO,
    serviceCode: '4255/7',
    createdAt: new Date('2026-11-10T10:00:00Z'),
  },
  {
    id: '6f1c0a9e-1d2b-4c3d-8e4f-000000000003',
    title: 'NORDLYS REGNSKAP AS (310024686): melding om administrasjon',
    recipientOrgnr: '310024686',
    senderOrgnr: BRREG,
    serviceCode: '4255/10',
    createdAt: new Date('2026-11-12T12:30:00Z'),
  },
  {
    id: '6f1c0a9e-1d2b-4c3d-8e4f-000000000004',
    title: 'KARI NORDMANN SNEKKERVERKSTED (310037028): melding om plan, bygg og geodata',
    recipientOrgnr: '310037028',
    senderOrgnr: OSLO,
    serviceCode: '4255/1',
    createdAt: new Date('2026-11-14T08:45:00Z'),
  },
];

export async function seed(em: EntityManager): Promise<void> {
  await em.transactional((tx) => tx.upsertMany(Message, DEMO_MESSAGES));
}

export async function isEmpty(em: EntityManager): Promise<boolean> {
  return (await em.count(Message)) === 0;
}
