import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, visit, type DocumentNode } from 'graphql';
import { ClientError, ErrorCode } from './errors.js';

/**
 * True when PostgreSQL can store the string as text: no NUL character (text columns refuse
 * U+0000) and no unpaired UTF-16 surrogate (not valid Unicode; it would be stored altered).
 */
export function isStorable(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

function unstorable(where: string): ClientError {
  return new ClientError(
    ErrorCode.BAD_USER_INPUT,
    `${where} holds a character that cannot be stored (NUL or an unpaired surrogate).`,
    { http: { status: 400 }, reason: 'unstorableCharacter' },
  );
}

/**
 * Refuses an operation whose string literals or variables (keys included) hold a value
 * PostgreSQL cannot store, before anything reaches SQL. O(input): each value is read once.
 */
export function refuseUnstorableInput(
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
): void {
  visit(document, {
    [Kind.STRING](node) {
      if (!isStorable(node.value)) throw unstorable('A string in the operation');
    },
  });
  if (!variables) return;
  for (const [name, top] of Object.entries(variables)) {
    const where = `Variable $${name.slice(0, 64)}`;
    const stack: unknown[] = [top];
    while (stack.length > 0) {
      const value = stack.pop();
      if (typeof value === 'string') {
        if (!isStorable(value)) throw unstorable(where);
      } else if (Array.isArray(value)) {
        for (const v of value) stack.push(v);
      } else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (!isStorable(k)) throw unstorable(where);
          stack.push(v);
        }
      }
    }
  }
}

/** Apollo plugin: {@link refuseUnstorableInput} once the operation is resolved. */
export function useStorableInput<Ctx extends BaseContext>(): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          refuseUnstorableInput(document, request.variables);
        },
      };
    },
  };
}
