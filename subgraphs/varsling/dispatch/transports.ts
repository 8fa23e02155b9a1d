import { randomUUID } from 'node:crypto';
import { maskAddress } from '../domain/mask.js';
import { createTransport } from 'nodemailer';
import type { Logger } from '../../../platform/runtime/logger.js';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /**
   * The notice's own Message-ID, the same on every attempt: SMTP cannot be asked whether a send
   * went out, so a repeat is possible, and a receiving system can drop it by this id.
   */
  messageId: string;
}

export interface SmsMessage {
  to: string;
  text: string;
  /** The same on every attempt of one notice: the provider drops a repeat it has already taken. */
  idempotencyKey: string;
}

/** One way out: `send` resolves with the provider's id, or throws. */
export interface Transport<M> {
  send(m: M): Promise<{ id: string | null }>;
  /** How many sends it takes at once (its connection pool); the dispatcher sends no more. */
  readonly concurrency: number;
}

/** Where notices leave the machine. */
export interface Transports {
  email: Transport<EmailMessage>;
  sms: Transport<SmsMessage>;
  close(): Promise<void>;
}

export interface TransportSettings {
  /**
   * `smtp://user:pass@host:587` or `smtps://…`; query parameters are nodemailer options
   * (`?ignoreTLS=true`). Unset: e-mails are logged, not sent.
   */
  smtpUrl?: string;
  /** The From address of every e-mail. */
  smtpFrom: string;
  /** The SMS provider's endpoint, POSTed `{ from, to, text }`. Unset: SMS are logged, not sent. */
  smsProviderUrl?: string;
  /** The sender name or number shown on the phone. */
  smsSender: string;
}

/** A provider refused a message or could not be reached; the message says which and why. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/** How long the SMS provider has to answer. */
export const SMS_TIMEOUT_MS = 10_000;

/** SMS requests in flight at once. */
export const SMS_CONCURRENCY = 10;

/** The header that carries an SMS's idempotency key (as Stripe's and the IETF draft's APIs name it). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** A notice's stable Message-ID: one per notification, whatever the attempt. */
export function noticeMessageId(notificationId: string): string {
  return `<${notificationId}@varsling.dpv-graph>`;
}

/** The stable idempotency key of an SMS notification. */
export function smsIdempotencyKey(notificationId: string): string {
  return `dpv-varsling-${notificationId}`;
}

/**
 * SMTP timeouts, kept well below the dispatcher's lease: a send that hangs must fail before
 * another worker may take the notification over (nodemailer's own socket timeout is 10 min).
 */
const SMTP_DEFAULTS: Record<string, string> = {
  pool: 'true',
  maxConnections: '5',
  connectionTimeout: '10000',
  greetingTimeout: '10000',
  socketTimeout: '30000',
};

/**
 * nodemailer over a pooled SMTP connection when `smtpUrl` is set, else a sink that logs what
 * would be sent; SMS by HTTP to `smsProviderUrl` when set, else a logging sink. Addresses are
 * masked in every log line.
 */
export function createTransports(settings: TransportSettings, log: Logger): Transports {
  const email = settings.smtpUrl
    ? smtpTransport(settings.smtpUrl, settings.smtpFrom)
    : {
        send: async (m: EmailMessage) => {
          log.info(
            { channel: 'EMAIL', to: maskAddress(m.to), subject: m.subject, text: m.text },
            'e-mail not sent: no SMTP server configured',
          );
          return { id: `dev-${randomUUID()}` };
        },
        close: () => undefined,
        concurrency: 5,
      };
  const sms = settings.smsProviderUrl
    ? httpSms(settings.smsProviderUrl, settings.smsSender)
    : {
        send: async (m: SmsMessage) => {
          log.info(
            { channel: 'SMS', to: maskAddress(m.to), text: m.text },
            'SMS not sent: no SMS provider configured',
          );
          return { id: `dev-${randomUUID()}` };
        },
        concurrency: SMS_CONCURRENCY,
      };
  return {
    email: { send: (m) => email.send(m), concurrency: email.concurrency },
    sms: { send: (m) => sms.send(m), concurrency: sms.concurrency },
    close: async () => email.close(),
  };
}

function smtpTransport(smtpUrl: string, from: string) {
  const url = new URL(smtpUrl);
  for (const [key, value] of Object.entries(SMTP_DEFAULTS)) {
    if (!url.searchParams.has(key)) url.searchParams.set(key, value);
  }
  const mailer = createTransport(url.toString());
  const pooled = url.searchParams.get('pool') === 'true';
  const connections = Number(url.searchParams.get('maxConnections'));
  return {
    // One send per pooled connection: more would queue inside nodemailer, out of our sight.
    concurrency: pooled && connections > 0 ? connections : 1,
    send: async (m: EmailMessage) => {
      try {
        const info = await mailer.sendMail({
          from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          messageId: m.messageId,
        });
        return { id: typeof info.messageId === 'string' ? info.messageId : null };
      } catch (err) {
        throw new TransportError(`SMTP: ${reasonOf(err)}`, { cause: err });
      }
    },
    close: () => mailer.close(),
  };
}

function httpSms(providerUrl: string, from: string) {
  return {
    concurrency: SMS_CONCURRENCY,
    send: async (m: SmsMessage) => {
      let res: Response;
      try {
        res = await fetch(providerUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            [IDEMPOTENCY_KEY_HEADER]: m.idempotencyKey,
          },
          body: JSON.stringify({ from, to: m.to, text: m.text }),
          signal: AbortSignal.timeout(SMS_TIMEOUT_MS),
        });
      } catch (err) {
        throw new TransportError(`SMS provider unreachable: ${reasonOf(err)}`, { cause: err });
      }
      const body = await res.text().catch(() => '');
      if (!res.ok) {
        throw new TransportError(
          `SMS provider answered ${res.status} ${res.statusText}: ${body.slice(0, 200)}`.trim(),
        );
      }
      return { id: providerId(body) };
    },
  };
}

/** The provider's `{ id }`, when it sends one. */
function providerId(body: string): string | null {
  try {
    const id: unknown = (JSON.parse(body) as { id?: unknown } | null)?.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
  } catch {
    return null;
  }
}

/** The reason an error gives, with its cause's (fetch itself says only "fetch failed"). */
export function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return `timed out: ${err.message}`;
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}
