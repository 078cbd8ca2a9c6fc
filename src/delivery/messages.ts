import addressparser from 'nodemailer/lib/addressparser';
import type { SendMailOptions } from 'nodemailer';
import { z } from 'zod';
import type { MailAddress, MailPayload } from '../db/schema.js';

/** A message that can never be sent as it stands (bad address, erased letter): failed at once, no retry. */
export class UnsendableError extends Error {
  override name = 'UnsendableError';
}

export interface Sender {
  name: string;
  address: string;
  /** Right-hand side of Message-IDs. */
  domain: string;
}

const emailSchema = z.email();

/** Parses MAIL_FROM ("Chorus <no-reply@example.org>" or a bare address). */
export function parseSender(mailFrom: string): Sender {
  const [first] = addressparser(mailFrom, { flatten: true });
  // Not z.email(): the default sender lives at `localhost`, which has no top-level domain.
  if (!first?.address || !/^[^\s@]+@[^\s@]+$/.test(first.address)) throw new Error(`MAIL_FROM is not a usable address: ${mailFrom}`);
  return { name: oneLine(first.name) || 'Chorus', address: first.address, domain: first.address.slice(first.address.lastIndexOf('@') + 1) };
}

/**
 * Header text from people's input: control characters (CR, LF, tab, NUL…) and Unicode line
 * separators become spaces, so no value can end a header line and start another.
 */
export function oneLine(value: string | null | undefined): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return (value ?? '').replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** A { name, address } object for nodemailer, the address checked again here (never a raw string). */
export function mailbox(name: string | null | undefined, address: string | null | undefined): MailAddress {
  if (!address || !emailSchema.safeParse(address).success) throw new UnsendableError('no valid email address');
  return { name: oneLine(name), address };
}

export interface LetterMail {
  letterId: string;
  subject: string | null;
  body: string | null;
  signerName: string | null;
  supporterEmail: string | null;
  targetName: string;
  targetEmail: string | null;
  /** The language the letter is written in (BCP 47); null for letters from before translations. */
  locale?: string | null;
}

/** A letter from a supporter to a target: From Chorus on the supporter's behalf, Reply-To the supporter. */
export function letterMessage(sender: Sender, l: LetterMail): SendMailOptions {
  if (l.body === null || l.subject === null) throw new UnsendableError('the letter text was erased before delivery');
  const signer = oneLine(l.signerName);
  const message: SendMailOptions = {
    from: { name: signer ? `${signer} via ${sender.name}` : sender.name, address: sender.address },
    to: [mailbox(l.targetName, l.targetEmail)],
    subject: oneLine(l.subject),
    text: l.body,
    textEncoding: 'quoted-printable',
    // Stable across retries, so a receiving server that saw an attempt can recognise the repeat.
    messageId: `<${l.letterId}@${sender.domain}>`,
  };
  // RFC 3282: the language of the text, so the reader's mail client (and a translator's) knows it.
  if (l.locale && /^[A-Za-z0-9-]{2,35}$/.test(l.locale)) message.headers = { 'Content-Language': l.locale };
  // An erased supporter has no address left: the letter still goes, without a Reply-To.
  if (l.supporterEmail) message.replyTo = [mailbox(signer, l.supporterEmail)];
  return message;
}

/** Mail to a supporter, already rendered by the domain when it was queued. */
export function supporterMessage(sender: Sender, outboxId: string, p: MailPayload): SendMailOptions {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.headers ?? {})) if (/^[A-Za-z0-9-]+$/.test(k)) headers[k] = oneLine(v);
  const message: SendMailOptions = {
    from: { name: oneLine(p.fromName) || sender.name, address: sender.address },
    to: [mailbox(p.to.name, p.to.address)],
    subject: oneLine(p.subject),
    text: p.text,
    textEncoding: 'quoted-printable',
    messageId: p.messageId ?? `<${outboxId}@${sender.domain}>`,
    headers,
  };
  if (p.html) message.html = p.html;
  if (p.replyTo) message.replyTo = [mailbox(p.replyTo.name, p.replyTo.address)];
  if (p.unsubscribeUrl) {
    // RFC 8058 one-click: the URL alone in List-Unsubscribe, plus the Post marker.
    message.list = { unsubscribe: p.unsubscribeUrl };
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return message;
}
