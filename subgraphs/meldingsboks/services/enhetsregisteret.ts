import type { PeerClient } from '../../../platform/http/peer.js';

/** The enhet's name when it is registered and not deleted, asked of Enhetsregisteret now; else null. */
export async function activeEnhet(
  enhetsregisteret: PeerClient,
  organisasjonsnummer: string,
  requestId?: string,
): Promise<{ organisasjonsnummer: string; navn: string | null } | null> {
  const data = await enhetsregisteret.request<{
    enhet: { organisasjonsnummer: string; navn: string | null; slettedato: string | null } | null;
  }>(
    `query Mottaker($orgnr: String!) { enhet(organisasjonsnummer: $orgnr) { organisasjonsnummer navn slettedato } }`,
    { orgnr: organisasjonsnummer },
    requestId,
  );
  if (data.enhet === null || data.enhet.slettedato) return null;
  return { organisasjonsnummer: data.enhet.organisasjonsnummer, navn: data.enhet.navn };
}

/** Whether the enhet is registered and not deleted, asked of Enhetsregisteret now. */
export async function isActiveEnhet(
  enhetsregisteret: PeerClient,
  organisasjonsnummer: string,
  requestId?: string,
): Promise<boolean> {
  return (await activeEnhet(enhetsregisteret, organisasjonsnummer, requestId)) !== null;
}
