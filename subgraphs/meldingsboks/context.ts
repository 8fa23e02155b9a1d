import { contextFactory, type ContextWith } from '../../platform/subgraph.js';
import { createLoaders, type Loaders } from './loaders/index.js';

export type Context = ContextWith<Loaders>;

/** One request, one context: a fresh EntityManager fork and fresh loaders. */
export const createContext = contextFactory(createLoaders);
