/** Delivery status notifications (RFC 3464) as relays write them, for the bounce tests. */
import nodemailer from 'nodemailer';

export const mailFrom = 'Chorus <letters@chorus.example>';
export const bounceAddress = 'bounces@chorus.example';

export interface Dsn {
  messageId: string;
  action?: string;
  status?: string;
  diagnostic?: string;
  /** How the returned message comes back: whole, or its header only. */
  returned?: 'message/rfc822' | 'text/rfc822-headers';
  /** The returned message itself (defaults to a header naming `messageId`). */
  original?: string;
  reportType?: string;
}

/** An RFC 3464 report as a relay writes it: explanation, delivery-status, returned message. */
export function dsn(d: Dsn): string {
  const returned = d.returned ?? 'message/rfc822';
  const original = d.original ?? `Message-ID: ${d.messageId}\r\nFrom: ${mailFrom}\r\nSubject: A letter\r\n\r\nDear Sir,\r\n`;
  const body = returned === 'text/rfc822-headers' ? original.slice(0, original.search(/\r?\n\r?\n/) + 2) : original;
  return [
    'From: Mail Delivery System <MAILER-DAEMON@relay.example>',
    `To: ${bounceAddress}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=${d.reportType ?? 'delivery-status'};`,
    '\tboundary="dsn-boundary-1"',
    '',
    'This is a MIME-encapsulated message.',
    '',
    '--dsn-boundary-1',
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host relay.example. Your message could not be delivered.',
    '',
    '--dsn-boundary-1',
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; relay.example',
    'Arrival-Date: Mon, 2 Mar 2026 09:00:01 +0000',
    '',
    'Final-Recipient: rfc822; prosecutor-general@example.kz',
    'Original-Recipient: rfc822;prosecutor-general@example.kz',
    `Action: ${d.action ?? 'failed'}`,
    `Status: ${d.status ?? '5.1.1'}`,
    'Remote-MTA: dns; mx.example.kz',
    `Diagnostic-Code: smtp; ${d.diagnostic ?? '550 5.1.1 <prosecutor-general@example.kz>: Recipient address rejected:\r\n    User unknown in virtual mailbox table'}`,
    '',
    '--dsn-boundary-1',
    `Content-Type: ${returned}`,
    '',
    body,
    '--dsn-boundary-1--',
    '',
  ].join('\r\n');
}

/** Sends `raw` to the inbound listener on `port` with a null return path, as MTAs send reports; resolves to the server's answer. */
export async function sendReport(port: number, raw: string | Buffer, to: string[] = [bounceAddress]) {
  const mailer = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    const info = await mailer.sendMail({ envelope: { from: '', to }, raw });
    return { code: 250, response: info.response, rejected: info.rejected, rejectedErrors: info.rejectedErrors ?? [] };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string };
    return { code: e.responseCode ?? 0, response: e.response ?? String(err), rejected: [], rejectedErrors: [] };
  } finally {
    mailer.close();
  }
}
