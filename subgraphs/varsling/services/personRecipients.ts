import type { PeerClient } from '../../../platform/http/peer.js';
import type { Run } from '../../../platform/db/transaction.js';
import type { PersonRecipient } from '../domain/personTargets.js';

/**
 * For each enhet, the persons who registered their own contact details there and may still read
 * some of its post (meldingsboks decides, by role or delegation, at the moment of planning): one
 * query here and one call to meldingsboks per enhet that has any.
 */
export async function personRecipients(
  run: Run,
  meldingsboks: PeerClient | null,
  enheter: readonly string[],
): Promise<Map<string, PersonRecipient[]>> {
  const result = new Map<string, PersonRecipient[]>();
  const unique = [...new Set(enheter)];
  if (!meldingsboks || unique.length === 0) return result;
  const rows = await run<{
    owner_orgnr: string;
    pid: string;
    email: string | null;
    mobile: string | null;
    service_codes: string[];
  }>(
    `select owner_orgnr, pid, email, mobile, service_codes from person_contact
     where owner_orgnr = any(?::text[])`,
    [`{${unique.join(',')}}`],
  );
  const byEnhet = new Map<string, typeof rows>();
  for (const r of rows) byEnhet.set(r.owner_orgnr, [...(byEnhet.get(r.owner_orgnr) ?? []), r]);
  for (const [enhet, contacts] of byEnhet) {
    const data = await meldingsboks.request<{
      personAccess: Array<{
        person: string;
        allOrdinary: boolean;
        services: string[];
        confidential: boolean;
      }>;
    }>(
      `query PersonAccess($enhet: String!, $personer: [String!]!) {
        personAccess(enhet: $enhet, personer: $personer) {
          person allOrdinary services confidential
        }
      }`,
      { enhet, personer: contacts.map((c) => c.pid) },
    );
    const access = new Map(data.personAccess.map((a) => [a.person, a]));
    result.set(
      enhet,
      contacts.flatMap((c) => {
        const a = access.get(c.pid);
        return a
          ? [{ email: c.email, mobile: c.mobile, serviceCodes: c.service_codes, access: a }]
          : [];
      }),
    );
  }
  return result;
}
