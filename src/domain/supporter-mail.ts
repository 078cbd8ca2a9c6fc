import type { MailPayload } from '../db/schema.js';
import type { OutboxWriter } from '../delivery/outbox.js';
import { renderSystemMail } from '../render/system-mail.js';
import type { Store } from '../store/index.js';
import { sha256 } from './ids.js';

/** Normalized address: trimmed and lower-cased. `+tags` and dots are kept (see README, "Supporters and counting"). */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Mail caps are keyed by a hash of the address, so the cap table holds no address. */
export const addressKey = (email: string) => sha256(`addr:${normalizeEmail(email)}`);

/** At most this many confirmation mails reach one address per day, across all campaigns. */
export const confirmationsPerAddressPerDay = 5;

/**
 * Mail from Chorus to supporters: rendered now, queued in the priority lane of the outbox, and
 * capped per address so nobody can use Chorus to flood someone else's inbox.
 */
export function createSupporterMail(deps: { mailCaps: Store['mailCaps']; outbox: OutboxWriter; publicUrl: string }) {
  const { mailCaps, outbox, publicUrl } = deps;

  /** True if the address may get one more mail in this bucket (and counts it). */
  function allowed(email: string, bucket: string, max: number): boolean {
    return mailCaps.take(addressKey(email), bucket, max);
  }

  const day = (at: string) => at.slice(0, 10);
  const to = (name: string, email: string) => ({ name, address: email });

  function confirmation(p: { campaignId: string; campaignTitle: string; name: string; email: string; targets: string[]; token: string; at: string }) {
    if (!allowed(p.email, `confirm:${day(p.at)}`, confirmationsPerAddressPerDay)) return;
    const payload: MailPayload = {
      to: to(p.name, p.email),
      subject: `Please confirm your letter: ${p.campaignTitle}`,
      text: renderSystemMail('confirmation', {
        name: p.name,
        campaignTitle: p.campaignTitle,
        targets: p.targets.join(', '),
        confirmUrl: `${publicUrl}/confirm/${p.token}`,
      }),
    };
    outbox.enqueueMail('confirmation', p.campaignId, payload, p.at);
  }

  function reminder(p: { campaignId: string; campaignTitle: string; name: string; email: string; token: string; at: string }) {
    const payload: MailPayload = {
      to: to(p.name, p.email),
      subject: `Reminder: your letter is waiting for confirmation: ${p.campaignTitle}`,
      text: renderSystemMail('reminder', { name: p.name, campaignTitle: p.campaignTitle, confirmUrl: `${publicUrl}/confirm/${p.token}` }),
    };
    outbox.enqueueMail('reminder', p.campaignId, payload, p.at);
  }

  /** The neutral notice a duplicate submission triggers: at most one per address per campaign per day. */
  function notice(p: { campaignId: string; campaignTitle: string; email: string; at: string }) {
    if (!allowed(p.email, `notice:${p.campaignId}:${day(p.at)}`, 1)) return;
    const payload: MailPayload = {
      to: to('', p.email),
      subject: `About your letter: ${p.campaignTitle}`,
      text: renderSystemMail('notice', { campaignTitle: p.campaignTitle }),
    };
    outbox.enqueueMail('notice', p.campaignId, payload, p.at);
  }

  function update(p: { campaignId: string; campaignTitle: string; name: string; email: string; title: string; body: string; unsubscribeToken: string; at: string }) {
    const unsubscribeUrl = `${publicUrl}/unsubscribe/${p.unsubscribeToken}`;
    const payload: MailPayload = {
      to: to(p.name, p.email),
      subject: `${p.campaignTitle}: ${p.title}`,
      text: renderSystemMail('update', { name: p.name, campaignTitle: p.campaignTitle, title: p.title, body: p.body, unsubscribeUrl }),
      unsubscribeUrl,
    };
    outbox.enqueueMail('update', p.campaignId, payload, p.at);
  }

  return { confirmation, reminder, notice, update };
}

export type SupporterMail = ReturnType<typeof createSupporterMail>;
