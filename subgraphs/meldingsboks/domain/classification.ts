import { registerEnumType } from 'type-graphql';

/**
 * What the sender says a message is, for its notice (varslingsstrategi): a message under the
 * duty to notify (EFF §8), a voluntary servicemelding, or neither.
 */
export enum NoticeClassification {
  VARSLINGSPLIKT = 'VARSLINGSPLIKT',
  SERVICEMELDING = 'SERVICEMELDING',
  NONE = 'NONE',
}

registerEnumType(NoticeClassification, {
  name: 'NoticeClassification',
  description: "The sender's classification of a message for its notice.",
  valuesConfig: {
    VARSLINGSPLIKT: {
      description: 'Under the duty to notify (eForvaltningsforskriften § 8): a varsel.',
    },
    SERVICEMELDING: { description: 'A voluntary service message, to be used restrictively.' },
    NONE: { description: 'No notice.' },
  },
});
