/**
 * Limits of a message, after Altinn 3 correspondence. Every text and list of a message that is
 * stored has one, checked before SQL.
 */
export const LIMITS = {
  sendersReference: 4096,
  messageSender: 256,
  title: 255,
  summary: 255,
  body: 30_000,
  attachments: 100,
  attachmentName: 255,
  contentType: 255,
  externalReferences: 10,
  referenceValue: 500,
  properties: 10,
  propertyKey: 50,
  propertyValue: 300,
  replyOptions: 10,
  linkUrl: 255,
  linkText: 255,
} as const;
