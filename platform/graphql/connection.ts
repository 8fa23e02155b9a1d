import { Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { ClientError, ErrorCode } from './errors.js';

/** Shared by every subgraph that pages (a value type, the same everywhere). */
@ObjectType({ description: 'Relay page information.' })
@Directive('@shareable')
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => Boolean) hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface Page<T> {
  nodes: T[];
  cursors: string[];
  hasNextPage: boolean;
  /** Counted only when a client asks for `totalCount`. */
  count: () => Promise<number>;
}

/** A page whose rows are fetched only when a client selects them (counts alone need none). */
export interface LazyPage<T> {
  load: () => Promise<Omit<Page<T>, 'count'>>;
  count: () => Promise<number>;
}

/**
 * A Relay connection type (`<Name>Connection`, `<Name>Edge`) for `Item`, with `totalCount`. An
 * abstract one is a base class for a connection with more fields: extend it and declare
 * `<Name>Connection` (the base, never referenced, stays out of the schema).
 */
export function connectionType<T extends object>(
  name: string,
  Item: ClassType<T>,
  { abstract = false } = {},
) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String) cursor!: string;
    @Field(() => Item) node!: T;
  }

  @ObjectType(`${name}Connection${abstract ? 'Base' : ''}`, {
    description: `A page of ${name}, with a stable cursor.`,
  })
  class Connection {
    private rows: Promise<Omit<Page<T>, 'count'>> | undefined;

    constructor(private readonly page: Page<T> | LazyPage<T>) {}

    /** The page's rows, fetched once and only if a field needs them. */
    private loaded(): Promise<Omit<Page<T>, 'count'>> {
      const page = this.page;
      return (this.rows ??= 'load' in page ? page.load() : Promise.resolve(page));
    }

    @Field(() => [Edge])
    async edges(): Promise<Edge[]> {
      const { nodes, cursors } = await this.loaded();
      return nodes.map((node, i) => ({ node, cursor: cursors[i]! }));
    }

    @Field(() => [Item], {
      description: 'The nodes of the edges, for clients that need no cursors.',
    })
    async nodes(): Promise<T[]> {
      return (await this.loaded()).nodes;
    }

    @Field(() => PageInfo)
    async pageInfo(): Promise<PageInfo> {
      const { hasNextPage, cursors } = await this.loaded();
      return {
        hasNextPage,
        // Paging is forward only (first/after).
        hasPreviousPage: false,
        startCursor: cursors[0] ?? null,
        endCursor: cursors.at(-1) ?? null,
      };
    }

    @Field(() => Int, { description: 'How many match in all (counted on request).' })
    totalCount(): Promise<number> {
      return this.page.count();
    }
  }
  return Connection;
}

/** Page size rules shared by every connection. */
export const PAGE = { default: 20, max: 100 } as const;

export function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 0 || first > PAGE.max) {
    throw new ClientError(ErrorCode.BAD_USER_INPUT, `first must be between 0 and ${PAGE.max}.`, {
      argument: 'first',
      max: PAGE.max,
    });
  }
}

/** Opaque cursors: the sort key of a row, base64url-encoded. */
export function encodeCursor(key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): Array<string | number> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every((k) => typeof k === 'string' || typeof k === 'number')
    ) {
      return key as Array<string | number>;
    }
  } catch {
    // fall through to the coded error
  }
  throw new ClientError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor this list gave out.', {
    argument: 'after',
  });
}
