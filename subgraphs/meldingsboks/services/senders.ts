import type { EntityManager } from '@mikro-orm/postgresql';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';

/**
 * Why `technical` may not send as `principal` now, or null when it may: both must be approved
 * senders (the principal has accepted the DPV terms or holds a Samarbeidsavtale), and a body
 * other than the caller's own must have authorised the caller to send for it (DPV-2017).
 */
export async function senderRefusal(
  em: EntityManager,
  technical: string,
  principal: string,
): Promise<ClientError | null> {
  const rows = await em
    .getConnection()
    .execute<Array<{ organisasjonsnummer: string; authorised: boolean }>>(
      `select a.organisasjonsnummer,
       exists (select 1 from sender_authorisation s where s.principal_orgnr = ?
               and s.technical_orgnr = ? and s.revoked_at is null) as authorised
     from approved_sender a where a.organisasjonsnummer in (?, ?) and a.revoked_at is null`,
      [principal, technical, technical, principal],
    );
  for (const who of new Set([technical, principal])) {
    if (!rows.some((r) => r.organisasjonsnummer === who)) {
      return new ClientError(ErrorCode.FORBIDDEN, `${who} is not an approved DPV sender.`, {
        sender: who,
      });
    }
  }
  if (technical !== principal && !rows[0]?.authorised) {
    return new ClientError(
      ErrorCode.FORBIDDEN,
      `${principal} has not authorised ${technical} to send on its behalf.`,
      { sender: technical, onBehalfOf: principal, reason: 'not-authorised' },
    );
  }
  return null;
}

/** Throws the refusal of {@link senderRefusal}, if any. */
export async function assertMaySend(
  em: EntityManager,
  technical: string,
  principal: string,
): Promise<void> {
  const refusal = await senderRefusal(em, technical, principal);
  if (refusal) throw refusal;
}
