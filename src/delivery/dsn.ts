import { simpleParser, type MailParserOptions } from 'mailparser';
import type { DeliveryReport, ReportedRecipient } from '../domain/bounces.js';

/**
 * Takes a delivery status notification apart with mailparser: the MIME structure of the
 * `multipart/report; report-type=delivery-status` message (RFC 6522), then each field group of
 * its `message/delivery-status` part (RFC 3464 §2.1: header syntax, groups separated by blank
 * lines) and the headers of the returned message, which name the Message-ID Chorus gave it.
 */

// Keep the delivery-status part as a part of its own (mailparser otherwise folds it into the text);
// nothing here needs HTML, links or a text rendering.
const options: MailParserOptions = { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true };

const statusParts = new Set(['message/delivery-status', 'message/global-delivery-status']);
const returnedParts = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers']);

/** Header fields of a block in header syntax (folded lines unfolded, names lower-cased). */
async function fieldsOf(block: string): Promise<Map<string, unknown>> {
  return (await simpleParser(`${block.trim()}\r\n\r\n`, options)).headers as Map<string, unknown>;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null);

/** The report in `raw`, or null when it is not an RFC 3464 delivery status notification. */
export async function parseDeliveryReport(raw: Buffer): Promise<DeliveryReport | null> {
  const mail = await simpleParser(raw, options);
  const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value?.toLowerCase() !== 'multipart/report' || type.params?.['report-type']?.toLowerCase() !== 'delivery-status') return null;
  const status = mail.attachments.find((a) => statusParts.has(a.contentType.toLowerCase()));
  if (!status) return null;

  // The first group is about the message, each later one about one recipient.
  const groups = status.content.toString('utf8').split(/\r?\n[ \t]*\r?\n/).filter((g) => g.trim() !== '');
  const recipients: ReportedRecipient[] = [];
  for (const group of groups.slice(1)) {
    const fields = await fieldsOf(group);
    const action = text(fields.get('action'));
    const code = text(fields.get('status'));
    if (action && code) recipients.push({ action, status: code, diagnostic: text(fields.get('diagnostic-code')) });
  }
  if (recipients.length === 0) return null;

  const messageIds: string[] = [];
  for (const part of mail.attachments.filter((a) => returnedParts.has(a.contentType.toLowerCase()))) {
    // Only the returned message's header: its body (the letter) is never parsed, kept or logged.
    const source = part.content.toString('utf8');
    const end = source.search(/\r?\n\r?\n/);
    const id = text((await fieldsOf(end === -1 ? source : source.slice(0, end))).get('message-id'));
    if (id) messageIds.push(id);
  }
  return { messageIds, recipients };
}
