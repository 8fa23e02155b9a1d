import type { SubgraphDefinition } from '../platform/subgraph.js';
import { definition as enhetsregisteret } from './enhetsregisteret/index.js';
import { definition as meldingsboks } from './meldingsboks/index.js';
import { definition as varsling } from './varsling/index.js';

/** Every subgraph of the graph, in start order. */
export const subgraphs: readonly SubgraphDefinition[] = [enhetsregisteret, meldingsboks, varsling];
