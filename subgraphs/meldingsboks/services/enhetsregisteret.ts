import type { PeerClient } from '../../../platform/http/peer.js';

/** Whether the enhet is registered and not deleted, asked of Enhetsregisteret now. */
export async function isActiveEnhet(
  enhetsregisteret: PeerClient,
  organisasjonsnummer: string,
  requestId?: string,
): Promise<boolean> {
  const data = await enhetsregisteret.request<{
    enhet: { organisasjonsnummer: string; slettedato: string | null } | null;
  }>(
    `query Mottaker($orgnr: String!) { enhet(organisasjonsnummer: $orgnr) { organisasjonsnummer slettedato } }`,
    { orgnr: organisasjonsnummer },
    requestId,
  );
  return data.enhet !== null && !data.enhet.slettedato;
}
