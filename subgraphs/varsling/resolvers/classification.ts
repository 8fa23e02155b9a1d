import { registerEnumType } from 'type-graphql';

/**
 * The sender's classification of a message, as meldingsboks defines it (its
 * domain/classification.ts; the same GraphQL enum, same values): varsling reads it from the
 * events and honours it (domain/plan.ts, `effectiveRules`).
 */
export enum NoticeClassification {
  VARSLINGSPLIKT = 'VARSLINGSPLIKT',
  SERVICEMELDING = 'SERVICEMELDING',
  NONE = 'NONE',
}

registerEnumType(NoticeClassification, {
  name: 'NoticeClassification',
  description:
    "The sender's decision whether a message carries the duty to notify (varslingsplikt under " +
    'eforvaltningsforskriften §8), only wishes a servicemelding, or gets no notice.',
  valuesConfig: {
    VARSLINGSPLIKT: {
      description: 'A varsel is owed; it is always sent (falling back to any address).',
    },
    SERVICEMELDING: { description: 'A voluntary servicemelding is wished (no reminder).' },
    NONE: { description: 'No notice (confidential post 5504/1 is notified all the same).' },
  },
});
