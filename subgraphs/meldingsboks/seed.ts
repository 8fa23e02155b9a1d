import type { EntityManager } from '@mikro-orm/postgresql';
import { DpvService, Language } from './domain/services.js';
import { ApprovedSender } from './entities/ApprovedSender.js';
import { inTransaction } from '../../platform/db/transaction.js';
import { insertMessage, type NewMessage } from './services/store.js';

const SKATTEETATEN = '974761076';
const BRREG = '974760673';
const OSLO = '958935420';
const NORDLYS_REGNSKAP = '310024686';
const FJELLTOPP = '310012343';

export const DEMO_SENDERS = [
  { organisasjonsnummer: SKATTEETATEN, name: 'SKATTEETATEN' },
  { organisasjonsnummer: BRREG, name: 'BRØNNØYSUNDREGISTRENE' },
  { organisasjonsnummer: OSLO, name: 'OSLO KOMMUNE' },
];

function demo(
  n: number,
  recipient: string,
  sender: string,
  service: DpvService,
  title: string,
  extra: Partial<NewMessage> = {},
): NewMessage {
  return {
    id: `6f1c0a9e-1d2b-4c3d-8e4f-00000000000${n}`,
    recipientOrgnr: recipient,
    senderOrgnr: sender,
    technicalSenderOrgnr: sender,
    sendersReference: `demo-${n}`,
    messageSender: DEMO_SENDERS.find((s) => s.organisasjonsnummer === sender)!.name,
    serviceCode: service,
    confidential: service === DpvService.TAUSHETSBELAGT,
    language: Language.NB,
    title,
    summary: null,
    body: `${title}.\n\nLes meldingen i sin helhet i innboksen.`,
    externalReferences: [],
    propertyList: [],
    replyOptions: [],
    dueDateTime: null,
    isConfirmationNeeded: false,
    requestedPublishTime: null,
    attachments: [],
    ...extra,
  };
}

/** Titles name the enhet and the service, nothing sensitive. Fixed ids and references keep it idempotent. */
export const DEMO_MESSAGES: NewMessage[] = [
  demo(
    1,
    FJELLTOPP,
    SKATTEETATEN,
    DpvService.SKATTER_AVGIFTER,
    'FJELLTOPP BAKERI AS (310012343): melding om skatter og avgifter',
  ),
  demo(
    2,
    FJELLTOPP,
    OSLO,
    DpvService.NAERINGSUTVIKLING,
    'FJELLTOPP BAKERI AS (310012343): melding om næringsutvikling',
    { isConfirmationNeeded: true },
  ),
  demo(
    3,
    NORDLYS_REGNSKAP,
    BRREG,
    DpvService.ADMINISTRASJON,
    'NORDLYS REGNSKAP AS (310024686): melding om administrasjon',
  ),
  demo(
    4,
    '310037028',
    OSLO,
    DpvService.PLAN_BYGG_GEODATA,
    'KARI NORDMANN SNEKKERVERKSTED (310037028): melding om plan, bygg og geodata',
  ),
  demo(
    5,
    FJELLTOPP,
    OSLO,
    DpvService.TAUSHETSBELAGT,
    'FJELLTOPP BAKERI AS (310012343): taushetsbelagt post',
  ),
];

export async function seed(em: EntityManager): Promise<void> {
  await inTransaction(em, async (run) => {
    for (const s of DEMO_SENDERS) {
      await run(
        `insert into approved_sender (organisasjonsnummer, name, approved_by) values (?, ?, 'seed')
         on conflict do nothing`,
        [s.organisasjonsnummer, s.name],
      );
    }
    for (const m of DEMO_MESSAGES) {
      await insertMessage(run, m, { org: m.technicalSenderOrgnr, who: 'seed' });
    }
    // FJELLTOPP's accounting firm (REGN in the Enhetsregisteret demo data) reads its ordinary post.
    await run(
      `insert into inbox_grant (owner_orgnr, grantee_orgnr, kind, via_role, granted_by)
       values (?, ?, 'ALL_DPV', 'REGN', 'seed') on conflict do nothing`,
      [FJELLTOPP, NORDLYS_REGNSKAP],
    );
  });
}

export async function isEmpty(em: EntityManager): Promise<boolean> {
  return (await em.count(ApprovedSender)) === 0;
}
