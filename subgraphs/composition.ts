import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { printSdl } from '../platform/graphql/federation.js';
import { subgraphs } from './registry.js';

export interface Composition {
  /** Each subgraph's SDL as it serves it in `_service { sdl }`, by subgraph name. */
  subgraphSdl: Record<string, string>;
  supergraphSdl: string;
}

/** Builds every subgraph's schema from code and composes the supergraph. */
export async function composeFromCode(): Promise<Composition> {
  const subgraphSdl: Record<string, string> = {};
  for (const def of subgraphs) subgraphSdl[def.name] = await printSdl(await def.buildSchema());
  const result = composeServices(
    subgraphs.map((def) => ({
      name: def.name,
      url: `http://127.0.0.1:${def.defaultPort}/graphql`,
      typeDefs: parse(subgraphSdl[def.name]!),
    })),
  );
  if (result.errors) {
    throw new Error(
      `Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`,
    );
  }
  return { subgraphSdl, supergraphSdl: result.supergraphSdl };
}

/** The files under `schema/` and what each must contain. */
export function schemaFiles(composition: Composition): Record<string, string> {
  const files: Record<string, string> = { 'supergraph.graphql': composition.supergraphSdl + '\n' };
  for (const [name, sdl] of Object.entries(composition.subgraphSdl)) {
    files[`${name}.graphql`] = sdl + '\n';
  }
  return files;
}
