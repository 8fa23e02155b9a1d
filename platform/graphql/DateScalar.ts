import { GraphQLScalarType, Kind } from 'graphql';
import { ClientError, ErrorCode } from './errors.js';
import { preview, truncate } from './preview.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function toDate(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'string' && ISO_DATE.test(value)) return value;
  throw new ClientError(
    ErrorCode.BAD_USER_INPUT,
    `Expected a date as YYYY-MM-DD, got ${typeof value === 'string' ? preview(value) : truncate(String(JSON.stringify(value)))}.`,
  );
}

/** A calendar date without time or zone, as brreg writes it: `2019-03-21`. */
export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD (ISO 8601), without time or time zone.',
  serialize: toDate,
  parseValue: toDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING)
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'Expected a date string.');
    return toDate(ast.value);
  },
});
