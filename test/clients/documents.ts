/**
 * The operations the recipes run, as a frontend would write them: an inbox page, and the
 * register's views of an enhet with its underenheter, and a search. Every selection set asks
 * for `id`, as the caches' docs tell a developer to: every object type here has one.
 */

export const INBOX = /* GraphQL */ `
  query Inbox($org: String!, $first: Int!, $after: String) {
    enhet(organisasjonsnummer: $org) {
      id
      navn
      inbox(first: $first, after: $after) {
        totalCount
        unreadCount
        edges {
          cursor
          node {
            id
            title
            status
            sender {
              id
              navn
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`;

export const ENHET = /* GraphQL */ `
  query Enhet($org: String!) {
    enhet(organisasjonsnummer: $org) {
      id
      organisasjonsnummer
      navn
      organisasjonsform {
        id
        kode
        beskrivelse
      }
      forretningsadresse {
        id
        adresse
        postnummer
        poststed
      }
      naeringskode1 {
        id
        kode
        beskrivelse
      }
      underenheter(first: 5) {
        nodes {
          id
          navn
          overordnetEnhet {
            id
            navn
          }
        }
      }
    }
  }
`;

export const SEARCH = /* GraphQL */ `
  query Search($first: Int!) {
    enheter(first: $first) {
      totalCount
      nodes {
        id
        organisasjonsnummer
        navn
        organisasjonsform {
          id
          kode
        }
      }
    }
  }
`;
