import type { ExecutionResult } from 'graphql';

/**
 * Where a resumable subscription started, for a caller that asks (the gateway). A subscription
 * field that takes `after` and gives each event a `cursor` starts, without `after`, at "now";
 * a gateway that loses the subgraph before the first event would not know where "now" was, and
 * would lose what was committed meanwhile. So the gateway asks, with `extensions.announceStart`
 * on its subscribe, and the subgraph's first result is `{ data: null, extensions: { startCursor } }`:
 * the cursor to resume after. Clients that do not ask see nothing of it.
 */
export const ANNOUNCE_START = 'announceStart';
export const START_CURSOR = 'startCursor';

const START = Symbol('subscription start');
const ASKED = Symbol('subscription start asked');

interface Holder {
  [START]?: string;
  [ASKED]?: boolean;
}

/** Marks an operation's context: its caller asked for the start (set by the platform). */
export function askForStart(context: object): void {
  (context as Holder)[ASKED] = true;
}

/** A resolver records where its subscription starts (a cursor its field would give out). */
export function recordStart(context: object, cursor: string): void {
  const holder = context as Holder;
  if (holder[ASKED]) holder[START] = cursor;
}

/** The subscription's results, after a first one that announces its start, when it was asked. */
export function withStartAnnounced(
  context: object,
  results: AsyncIterableIterator<ExecutionResult>,
): AsyncIterableIterator<ExecutionResult> {
  const start = (context as Holder)[START];
  if (start === undefined) return results;
  let announced = false;
  return {
    next: () => {
      if (announced) return results.next();
      announced = true;
      return Promise.resolve({
        value: { data: null, extensions: { [START_CURSOR]: start } },
        done: false,
      });
    },
    return: () => results.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (err: unknown) => results.throw?.(err) ?? Promise.reject(err),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** The start a subgraph announced, if `result` is that announcement. */
export function announcedStart(result: ExecutionResult): string | undefined {
  if (result.data !== null || result.errors?.length) return undefined;
  const cursor = result.extensions?.[START_CURSOR];
  return typeof cursor === 'string' ? cursor : undefined;
}
