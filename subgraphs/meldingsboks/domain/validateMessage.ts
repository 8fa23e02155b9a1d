import { createHash } from 'node:crypto';
import { assertOrgnr } from '../../domain/orgnr.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import { preview } from '../../../platform/graphql/preview.js';
import type { SendMessageInput } from '../resolvers/inputs.js';
import type { NewMessage } from '../services/store.js';
import { LIMITS } from './limits.js';
import { CONFIDENTIAL, Language } from './services.js';

function bad(field: string, message: string, extensions: Record<string, unknown> = {}) {
  return new ClientError(ErrorCode.BAD_USER_INPUT, message, { field, ...extensions });
}

/** Length first: whatever else is checked after, it is checked on a bounded string. */
function text(field: string, value: string, max: number, required = true): void {
  if (value.length > max) throw bad(field, `${field} is longer than ${max} characters.`, { max });
  if (required && value.trim() === '') throw bad(field, `${field} must not be empty.`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MIME = /^[\w.+-]+\/[\w.+-]+$/;

/** Checks a message against every rule and returns it as stored; throws BAD_USER_INPUT naming the field. */
export function validateMessage(
  input: SendMessageInput,
  caller: string,
  maxAttachmentBytes: number,
): NewMessage {
  assertOrgnr(input.recipient);
  if (input.onBehalfOf) assertOrgnr(input.onBehalfOf);
  text('sendersReference', input.sendersReference, LIMITS.sendersReference);
  if (input.messageSender != null) text('messageSender', input.messageSender, LIMITS.messageSender);
  text('title', input.title, LIMITS.title);
  if (input.summary != null) text('summary', input.summary, LIMITS.summary, false);
  text('body', input.body, LIMITS.body);

  capItems({ field: 'externalReferences' }, input.externalReferences, LIMITS.externalReferences);
  for (const r of input.externalReferences) {
    text('externalReferences.referenceValue', r.referenceValue, LIMITS.referenceValue);
  }

  capItems({ field: 'propertyList' }, input.propertyList, LIMITS.properties);
  const keys = new Set<string>();
  for (const p of input.propertyList) {
    text('propertyList.key', p.key, LIMITS.propertyKey);
    text('propertyList.value', p.value, LIMITS.propertyValue, false);
    if (keys.has(p.key)) {
      throw bad('propertyList.key', `Property ${preview(p.key)} is given twice.`);
    }
    keys.add(p.key);
  }

  capItems({ field: 'replyOptions' }, input.replyOptions, LIMITS.replyOptions);
  for (const r of input.replyOptions) {
    text('replyOptions.linkUrl', r.linkUrl, LIMITS.linkUrl);
    if (r.linkText != null) text('replyOptions.linkText', r.linkText, LIMITS.linkText, false);
    let url: URL | null = null;
    try {
      url = new URL(r.linkUrl);
    } catch {
      // refused below
    }
    if (url?.protocol !== 'https:') {
      throw bad('replyOptions.linkUrl', `${preview(r.linkUrl)} is not an https URL.`);
    }
  }

  capItems({ field: 'attachments' }, input.attachments, LIMITS.attachments);
  const attachments = input.attachments.map((a) => {
    text('attachments.name', a.name, LIMITS.attachmentName);
    text('attachments.contentType', a.contentType, LIMITS.contentType);
    if (!MIME.test(a.contentType)) {
      throw bad('attachments.contentType', `${preview(a.contentType)} is not a MIME type.`);
    }
    const given = a.sha256?.toLowerCase() ?? null;
    if (given !== null && !SHA256.test(given)) {
      throw bad('attachments.sha256', 'sha256 must be 64 hexadecimal characters.');
    }
    if (a.contentBase64 == null) {
      if (a.size == null || given === null) {
        throw bad(
          'attachments',
          `Attachment ${preview(a.name)} needs its content, or its size and sha256.`,
        );
      }
      if (!Number.isSafeInteger(a.size) || a.size < 0) {
        throw bad('attachments.size', 'size must be a whole number of bytes.');
      }
      return {
        name: a.name,
        contentType: a.contentType,
        size: a.size,
        sha256: given,
        content: null,
      };
    }
    if (!BASE64.test(a.contentBase64)) {
      throw bad('attachments.contentBase64', `The content of ${preview(a.name)} is not base64.`);
    }
    const content = Buffer.from(a.contentBase64, 'base64');
    if (content.length > maxAttachmentBytes) {
      throw bad(
        'attachments.contentBase64',
        `Attachment ${preview(a.name)} is ${content.length} bytes; at most ${maxAttachmentBytes} are stored.`,
        { max: maxAttachmentBytes },
      );
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (given !== null && given !== sha256) {
      throw bad(
        'attachments.sha256',
        `The sha256 of ${preview(a.name)} does not match its content.`,
      );
    }
    if (a.size != null && a.size !== content.length) {
      throw bad('attachments.size', `The size of ${preview(a.name)} does not match its content.`);
    }
    return { name: a.name, contentType: a.contentType, size: content.length, sha256, content };
  });

  const publishAt = Math.max(input.requestedPublishTime?.getTime() ?? 0, Date.now());
  if (input.dueDateTime && input.dueDateTime.getTime() <= publishAt) {
    throw bad('dueDateTime', 'dueDateTime must be after the time the message is published.');
  }

  return {
    recipientOrgnr: input.recipient,
    senderOrgnr: input.onBehalfOf ?? caller,
    technicalSenderOrgnr: caller,
    sendersReference: input.sendersReference,
    messageSender: input.messageSender ?? null,
    serviceCode: input.service,
    confidential: input.service === CONFIDENTIAL,
    language: input.language ?? Language.NB,
    title: input.title,
    summary: input.summary ?? null,
    body: input.body,
    externalReferences: input.externalReferences.map((r) => ({ ...r })),
    propertyList: input.propertyList.map((p) => ({ ...p })),
    replyOptions: input.replyOptions.map((r) => ({
      linkUrl: r.linkUrl,
      linkText: r.linkText ?? null,
    })),
    dueDateTime: input.dueDateTime ?? null,
    isConfirmationNeeded: input.isConfirmationNeeded,
    requestedPublishTime: input.requestedPublishTime ?? null,
    classification: input.classification ?? null,
    attachments,
  };
}
