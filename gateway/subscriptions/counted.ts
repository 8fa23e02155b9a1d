import type { ExecutionResult } from 'graphql';

/** `iterator`, calling `onEnd` once when it ends either way (done, returned or thrown). */
export function counted(
  iterator: Required<AsyncIterator<ExecutionResult>>,
  onEnd: () => void,
): AsyncIterableIterator<ExecutionResult> {
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const result = await iterator.next();
      if (result.done) end();
      return result;
    },
    async return() {
      end();
      return iterator.return();
    },
    async throw(error: unknown) {
      end();
      return iterator.throw(error);
    },
  };
}
