import type { MailPayload } from '../db/schema.js';
import type { OutboxWriter } from '../delivery/outbox.js';
import { renderSystemMail } from '../render/system-mail.js';
import type { Store } from '../store/index.js';
import { keyedHash } from './secrets.js';

/** Normalized address: trimmed and lower-cased. `+tags` and dots are kept (see README, "Supporters and counting"). */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * The mailbox a mail reaches, for caps only: the local part without its `+tag` and the domain
 * case-folded (normalizeEmail folds the whole address). Identity never folds tags; a cap must,
 * or `jane+1@`, `jane+2@`, … would each get the full allowance in one inbox.
 */
export function mailboxOf(email: string): string {
  const address = normalizeEmail(email);
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const tag = local.indexOf('+');
  return `${tag > 0 ? local.slice(0, tag) : local}${address.slice(at)}`;
}

/** At most this many confirmation mails reach one address per day, across all campaigns. */
export const confirmationsPerAddressPerDay = 5;

/** Buckets are per day and only today's cap anything; these days before today are kept too, then swept. */
const capDaysKept = 2;
const dayMs = 24 * 60 * 60 * 1000;

/**
 * Mail from Chorus to supporters: rendered now, queued in the priority lane of the outbox, and
 * capped per address so nobody can use Chorus to flood someone else's inbox.
 */
export function createSupporterMail(deps: { mailCaps: Store['mailCaps']; outbox: OutboxWriter; publicUrl: string; capKey: Buffer }) {
  const { mailCaps, outbox, publicUrl } = deps;

  /**
   * The cap table's name for the mailbox an address reaches: an HMAC under the installation's secret,
   * so the table holds no address and no plain hash that a list of known addresses could be matched against.
   */
  const capKeyOf = (email: string) => keyedHash(deps.capKey, `mail-cap:${mailboxOf(email)}`);

  /** True if the address's mailbox may get one more mail in this bucket (and counts it). */
  async function allowed(email: string, bucket: string, max: number): Promise<boolean> {
    return mailCaps.take(capKeyOf(email), bucket, max);
  }

  /** Erasure: the buckets of the address's mailbox go too (inside the erasing transaction). */
  async function forget(email: string): Promise<void> {
    await mailCaps.forget(capKeyOf(email));
  }

  /** The hourly job: buckets of days that can no longer cap anything are deleted; returns how many. */
  async function sweepCaps(now: Date): Promise<number> {
    return mailCaps.sweepBefore(day(new Date(now.getTime() - capDaysKept * dayMs).toISOString()));
  }

  const day = (at: string) => at.slice(0, 10);
  const to = (name: string, email: string) => ({ name, address: email });

  async function confirmation(p: { campaignId: string; campaignTitle: string; name: string; email: string; targets: string[]; token: string; at: string }) {
    if (!(await allowed(p.email, `confirm:${day(p.at)}`, confirmationsPerAddressPerDay))) return;
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
    await outbox.enqueueMail('confirmation', p.campaignId, payload, p.at);
  }

  async function reminder(p: { campaignId: string; campaignTitle: string; name: string; email: string; token: string; at: string }) {
    const payload: MailPayload = {
      to: to(p.name, p.email),
      subject: `Reminder: your letter is waiting for confirmation: ${p.campaignTitle}`,
      text: renderSystemMail('reminder', { name: p.name, campaignTitle: p.campaignTitle, confirmUrl: `${publicUrl}/confirm/${p.token}` }),
    };
    await outbox.enqueueMail('reminder', p.campaignId, payload, p.at);
  }

  /** The neutral notice a duplicate submission triggers: at most one per mailbox per campaign per day. */
  async function notice(p: { campaignId: string; campaignTitle: string; email: string; at: string }) {
    if (!(await allowed(p.email, `notice:${p.campaignId}:${day(p.at)}`, 1))) return;
    const payload: MailPayload = {
      to: to('', p.email),
      subject: `About your letter: ${p.campaignTitle}`,
      text: renderSystemMail('notice', { campaignTitle: p.campaignTitle }),
    };
    await outbox.enqueueMail('notice', p.campaignId, payload, p.at);
  }

  async function update(p: { campaignId: string; campaignTitle: string; name: string; email: string; title: string; body: string; unsubscribeToken: string; at: string }) {
    const unsubscribeUrl = `${publicUrl}/unsubscribe/${p.unsubscribeToken}`;
    const payload: MailPayload = {
      to: to(p.name, p.email),
      subject: `${p.campaignTitle}: ${p.title}`,
      text: renderSystemMail('update', { name: p.name, campaignTitle: p.campaignTitle, title: p.title, body: p.body, unsubscribeUrl }),
      unsubscribeUrl,
    };
    await outbox.enqueueMail('update', p.campaignId, payload, p.at);
  }

  return { confirmation, reminder, notice, update, forget, sweepCaps };
}

export type SupporterMail = ReturnType<typeof createSupporterMail>;
