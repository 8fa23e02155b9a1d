import 'reflect-metadata';
import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { Arg, Field, InputType, Query, Resolver, registerEnumType } from 'type-graphql';
import { buildFederatedSchema } from '../../platform/graphql/federation.js';

/** An enum whose values are not its names, as the subgraphs' enums are. */
enum Tone {
  SOFT = 'soft',
  LOUD = 'loud',
}
registerEnumType(Tone, { name: 'Tone' });

@InputType()
class Greeting {
  @Field(() => Tone, { defaultValue: Tone.LOUD })
  tone!: Tone;
}

@Resolver()
class ToneResolver {
  @Query(() => String)
  argument(@Arg('tone', () => Tone, { defaultValue: Tone.SOFT }) tone: Tone): string {
    return `${tone}:${String(tone === Tone.SOFT)}`;
  }

  @Query(() => String)
  input(@Arg('greeting', () => Greeting) greeting: Greeting): string {
    return `${greeting.tone}:${String(greeting.tone === Tone.LOUD)}`;
  }
}

describe('a federated subgraph schema built from type-graphql', () => {
  it('gives enum defaults of arguments and input fields their values, not their names', async () => {
    const schema = await buildFederatedSchema({ resolvers: [ToneResolver] });
    const result = await graphql({ schema, source: '{ argument input(greeting: {}) }' });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ argument: 'soft:true', input: 'loud:true' });
    // What clients and composition read is unchanged: the default by its name.
    const printed = await graphql({ schema, source: '{ _service { sdl } }' });
    expect(JSON.stringify(printed.data)).toContain('tone: Tone! = SOFT');
  });
});
