import { registerEnumType } from 'type-graphql';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';

/** Correspondence statuses as Altinn 3 names them; the history of a message only grows. */
export enum MessageStatus {
  INITIALIZED = 'Initialized',
  READY_FOR_PUBLISH = 'ReadyForPublish',
  PUBLISHED = 'Published',
  FETCHED = 'Fetched',
  READ = 'Read',
  REPLIED = 'Replied',
  CONFIRMED = 'Confirmed',
  ARCHIVED = 'Archived',
  PURGED_BY_RECIPIENT = 'PurgedByRecipient',
  PURGED_BY_ALTINN = 'PurgedByAltinn',
  FAILED = 'Failed',
  ATTACHMENTS_DOWNLOADED = 'AttachmentsDownloaded',
  FORWARDED = 'Forwarded',
  /** Altinn's status for a recipient reserved against digital post; an enhet cannot be (DPV). */
  RESERVED = 'Reserved',
}

const NEVER = (why: string) => ({ description: `Altinn's; never set here: ${why}.` });

registerEnumType(MessageStatus, {
  name: 'MessageStatus',
  description: 'Status of a message.',
  valuesConfig: {
    RESERVED: NEVER('an enhet cannot reserve itself against DPV post'),
    REPLIED: NEVER('replies go through replyOptions links to the sender'),
    FAILED: NEVER('a recipient that cannot get a message is refused before it is stored'),
    ATTACHMENTS_DOWNLOADED: NEVER('reading attachment content is not recorded'),
    FORWARDED: NEVER('forwarding is not offered'),
  },
});

/** Statuses in which the recipient sees the message. */
export const VISIBLE_TO_RECIPIENT: ReadonlySet<MessageStatus> = new Set([
  MessageStatus.PUBLISHED,
  MessageStatus.READ,
  MessageStatus.REPLIED,
  MessageStatus.CONFIRMED,
  MessageStatus.ARCHIVED,
]);

/** What the rules need to know of a message. */
export interface LifecycleState {
  status: MessageStatus;
  isConfirmationNeeded: boolean;
  readAt?: Date | null;
  confirmedAt?: Date | null;
}

/** Apply the change, or do nothing because the message is already there. */
export type Verdict = 'apply' | 'noop';

/**
 * Recipient and sender actions and the current statuses they may start from. "Current status"
 * never is Fetched: fetching is recorded in the history but does not change it.
 */
const ALLOWED_FROM: Partial<Record<MessageStatus, readonly MessageStatus[]>> = {
  [MessageStatus.PUBLISHED]: [MessageStatus.READY_FOR_PUBLISH],
  [MessageStatus.READ]: [MessageStatus.PUBLISHED],
  [MessageStatus.CONFIRMED]: [MessageStatus.PUBLISHED, MessageStatus.READ, MessageStatus.REPLIED],
  [MessageStatus.ARCHIVED]: [
    MessageStatus.PUBLISHED,
    MessageStatus.READ,
    MessageStatus.REPLIED,
    MessageStatus.CONFIRMED,
  ],
  [MessageStatus.PURGED_BY_RECIPIENT]: [...VISIBLE_TO_RECIPIENT],
  // The sender may purge only before publish.
  [MessageStatus.PURGED_BY_ALTINN]: [MessageStatus.INITIALIZED, MessageStatus.READY_FOR_PUBLISH],
};

/** Whether `to` may follow the message's state; throws INVALID_TRANSITION or CONFIRMATION_REQUIRED. */
export function checkTransition(state: LifecycleState, to: MessageStatus): Verdict {
  const from = state.status;
  if (from === to) return 'noop';
  // Reading is a fact, not a place: a message already read stays read.
  if (to === MessageStatus.READ && state.readAt && VISIBLE_TO_RECIPIENT.has(from)) return 'noop';
  // An archived message not yet read may still be marked read: it is stamped read and stays
  // archived (services/store.ts), so that the history and the notices know it was read.
  if (to === MessageStatus.READ && from === MessageStatus.ARCHIVED) return 'apply';
  if (to === MessageStatus.CONFIRMED && !state.isConfirmationNeeded) {
    throw invalid(from, to, 'the message does not ask for confirmation');
  }
  if (!(ALLOWED_FROM[to] ?? []).includes(from)) {
    throw invalid(
      from,
      to,
      to === MessageStatus.PURGED_BY_ALTINN
        ? 'the sender may purge only before publish'
        : undefined,
    );
  }
  if (to === MessageStatus.ARCHIVED && state.isConfirmationNeeded && !state.confirmedAt) {
    throw new ClientError(
      ErrorCode.CONFIRMATION_REQUIRED,
      'This message must be confirmed before it can be archived.',
      { from, to },
    );
  }
  return 'apply';
}

function invalid(from: MessageStatus, to: MessageStatus, reason?: string): ClientError {
  return new ClientError(
    ErrorCode.INVALID_TRANSITION,
    `A message cannot go from ${from} to ${to}${reason ? `: ${reason}` : ''}.`,
    { from, to },
  );
}
