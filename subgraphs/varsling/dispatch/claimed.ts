export type Channel = 'EMAIL' | 'SMS';

/** A notification this worker holds a lease on, with the number of its attempt. */
export interface Claimed {
  id: string;
  orderId: string;
  channel: Channel;
  address: string;
  subject: string | null;
  body: string;
  attempt: number;
}
