import { GraphQLScalarType, Kind } from 'graphql';

/** An object, given out as JSON (the audit trail's snapshots of a policy); never read as input. */
export const JSONObjectScalar = new GraphQLScalarType<Record<string, unknown>, unknown>({
  name: 'JSONObject',
  description: 'A JSON object (output only).',
  serialize: (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TypeError('JSONObject can only serialize an object');
    }
    return value;
  },
  parseValue: () => {
    throw new TypeError('JSONObject is output only');
  },
  parseLiteral: (ast) => {
    throw new TypeError(
      `JSONObject is output only (got a ${ast.kind === Kind.OBJECT ? 'literal object' : ast.kind})`,
    );
  },
});
