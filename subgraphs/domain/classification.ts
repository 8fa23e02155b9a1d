import { registerEnumType } from 'type-graphql';

/**
 * The sender's own classification of a message (the varslingsstrategi's "Retningslinjer":
 * "Forvaltningen skal ta stilling til om meldingen omfattes av varslingsplikten etter
 * eforvaltningsforskriften"). Stored with the message and carried on its events; varsling
 * honours it (domain/plan.ts, `effectiveRules`). Not given (null): the notification policies
 * decide, as before. Meldingsboks and varsling both declare it, so it lives here, with the
 * other rules both read.
 */
export enum NoticeClassification {
  /** A varsel is owed (EFF §8: enkeltvedtak, forhåndsvarsel, …): the notice always goes out. */
  VARSLINGSPLIKT = 'VARSLINGSPLIKT',
  /** A servicemelding is wished: voluntary, no reminder, may be throttled. */
  SERVICEMELDING = 'SERVICEMELDING',
  /** No notice (confidential post is notified all the same). */
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

export const CLASSIFICATIONS: readonly string[] = Object.values(NoticeClassification);
