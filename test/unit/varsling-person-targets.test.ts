import { describe, expect, it } from 'vitest';
import {
  personTargets,
  type PersonRecipient,
} from '../../subgraphs/varsling/domain/personTargets.js';
import { NotificationChannel } from '../../subgraphs/varsling/entities/NotificationPolicy.js';

const reads = (o: Partial<PersonRecipient['access']> = {}): PersonRecipient['access'] => ({
  allOrdinary: false,
  services: [],
  confidential: false,
  ...o,
});
const both: PersonRecipient = {
  email: 'a@example.no',
  mobile: '+4791111111',
  serviceCodes: [],
  access: reads({ allOrdinary: true }),
};

describe('persons as extra recipients of a notice', () => {
  it('one channel each: the policy’s, and e-mail where the policy asks for both', () => {
    expect(personTargets(NotificationChannel.SMS_PREFERRED, '4255/8', [both])).toEqual([
      { channel: 'SMS', address: '+4791111111' },
    ]);
    expect(personTargets(NotificationChannel.EMAIL_AND_SMS, '4255/8', [both])).toEqual([
      { channel: 'EMAIL', address: 'a@example.no' },
    ]);
    // SMS only, and the person has no mobile: nothing, rather than another channel.
    expect(personTargets(NotificationChannel.SMS, '4255/8', [{ ...both, mobile: null }])).toEqual(
      [],
    );
  });

  it('only what the person may read, and only the services the person chose', () => {
    const tax: PersonRecipient = { ...both, access: reads({ services: ['4255/8'] }) };
    expect(personTargets(NotificationChannel.EMAIL, '4255/10', [tax])).toEqual([]);
    expect(personTargets(NotificationChannel.EMAIL, '4255/8', [tax])).toHaveLength(1);
    const chosen: PersonRecipient = { ...both, serviceCodes: ['4255/1'] };
    expect(personTargets(NotificationChannel.EMAIL, '4255/8', [chosen])).toEqual([]);
    expect(personTargets(NotificationChannel.EMAIL, '4255/1', [chosen])).toHaveLength(1);
  });

  it('confidential post only by its own right, never by reading all ordinary post', () => {
    expect(personTargets(NotificationChannel.EMAIL, '5504/1', [both])).toEqual([]);
    const confidential = { ...both, access: reads({ confidential: true }) };
    expect(personTargets(NotificationChannel.EMAIL, '5504/1', [confidential])).toHaveLength(1);
  });
});
