import { Scope, type Caller } from '../../platform/auth/caller.js';
import { requireScope } from '../../platform/auth/authorize.js';
import { ClientError, ErrorCode } from '../../platform/errors.js';
import type { Message } from './entities/Message.js';

/**
 * A message is readable by the recipient organisation (scope dpv:read) and by the sender
 * (scope dpv:send). Roles, grants to accounting firms and confidential post come with the
 * meldingsboks issue; until then, acting for the recipient is what counts.
 */
export function assertCanRead(caller: Caller, message: Message): void {
  if (caller.org === message.recipientOrgnr && caller.scopes.has(Scope.DPV_READ)) return;
  if (caller.org === message.senderOrgnr && caller.scopes.has(Scope.DPV_SEND)) return;
  if (caller.anonymous) requireScope(caller, Scope.DPV_READ);
  throw new ClientError(ErrorCode.FORBIDDEN, `You may not read message ${message.id}.`);
}
