import type { PeerClient } from '../../../platform/http/peer.js';
import type { Addresses } from '../domain/plan.js';

export interface DirectoryEntry extends Addresses {
  name: string;
}

/**
 * Names and varslingsadresser of enheter, from Enhetsregisteret in one call (as the graph's own
 * service, with the internal scope that reads every enhet's varslingsadresser).
 */
export async function lookUp(
  enhetsregisteret: PeerClient,
  orgnrs: readonly string[],
): Promise<Map<string, DirectoryEntry>> {
  const unique = [...new Set(orgnrs)];
  const found = new Map<string, DirectoryEntry>();
  if (unique.length === 0) return found;
  const data = await enhetsregisteret.request<{
    _entities: Array<{
      organisasjonsnummer: string;
      navn: string;
      /** Null only with an error, which `request` throws. */
      varslingsadresser: Array<{ kanal: 'EPOST' | 'MOBIL'; adresse: string }> | null;
    } | null>;
  }>(
    `query Varslingsadresser($r: [_Any!]!) {
      _entities(representations: $r) {
        ... on Enhet { organisasjonsnummer navn varslingsadresser { kanal adresse } }
      }
    }`,
    { r: unique.map((organisasjonsnummer) => ({ __typename: 'Enhet', organisasjonsnummer })) },
  );
  for (const e of data._entities) {
    if (!e) continue;
    const addresses = e.varslingsadresser ?? [];
    found.set(e.organisasjonsnummer, {
      name: e.navn,
      emails: addresses.filter((a) => a.kanal === 'EPOST').map((a) => a.adresse),
      mobiles: addresses.filter((a) => a.kanal === 'MOBIL').map((a) => a.adresse),
    });
  }
  return found;
}
