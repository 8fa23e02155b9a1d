import type { GraphQLFormattedError } from 'graphql';

export interface GraphQLResponse<D = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: D | null;
  errors?: GraphQLFormattedError[];
}

/** POSTs one operation over real HTTP, as a client would. */
export async function post<D = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<D>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, ...((await res.json()) as object) };
}

/** `Authorization: Bearer …` */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The `extensions.code` of each error, in order. */
export const codes = (r: GraphQLResponse) => (r.errors ?? []).map((e) => e.extensions?.code);
