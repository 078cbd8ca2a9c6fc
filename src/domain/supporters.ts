import type { Db } from '../db/client.js';
import type { LetterStatus } from '../db/schema.js';
import { notFound } from '../errors.js';
import type { Campaign, CampaignUpdate } from '../schemas/campaign.js';
import type { Clock } from './clock.js';
import { sha256 } from './ids.js';
import type { LetterLifecycle, MoveScope } from './letter-lifecycle.js';
import { unsubscribeToken } from './secrets.js';
import { normalizeEmail, type SupporterMail } from './supporter-mail.js';

export const erasedReason = "erased at the supporter's request";

/** Letters not yet delivered when their writer is erased can never be sent: nobody may sign them any more. */
const undelivered: LetterStatus[] = ['pending_confirmation', 'queued', 'sending', 'held'];

/**
 * The people side: consent and unsubscribe, data subject access and erasure, retention.
 * Erasure removes names, addresses, notes, IPs and rendered letters everywhere, but never lowers a count.
 */
export function createSupporterService(deps: {
  db: Db;
  clock: Clock;
  lifecycle: LetterLifecycle;
  mail: SupporterMail;
  unsubscribeKey: Buffer;
  retention: { bodyDays: number; contactDays: number };
}) {
  const { db, clock, lifecycle, mail, unsubscribeKey } = deps;
  const sql = db.$client;
  const stmt = {
    byEmail: sql.prepare(
      `SELECT s.*, c.slug, c.title AS campaignTitle FROM supporters s JOIN campaigns c ON c.id = s.campaign_id
       WHERE s.email_key = ? ORDER BY s.created_at`,
    ),
    lettersOf: sql.prepare(
      `SELECT l.id, l.status, l.created_at AS createdAt, l.sent_at AS sentAt, l.signer_name AS name, l.signer_city AS city,
         l.signer_country AS country, l.note, l.subject, l.body, t.name AS targetName, t.title AS targetTitle
       FROM letters l JOIN targets t ON t.id = l.target_id WHERE l.supporter_id = ? ORDER BY l.id`,
    ),
    byUnsubscribeHash: sql.prepare(
      `SELECT s.id, c.title AS campaignTitle, s.unsubscribed_at AS unsubscribedAt FROM supporters s JOIN campaigns c ON c.id = s.campaign_id
       WHERE s.unsubscribe_token_hash = ?`,
    ),
    unsubscribe: sql.prepare('UPDATE supporters SET consent_updates = 0, unsubscribed_at = coalesce(unsubscribed_at, ?) WHERE id = ?'),
    consenting: sql.prepare(
      `SELECT id, name, email FROM supporters WHERE campaign_id = ? AND consent_updates = 1 AND counted_at IS NOT NULL
         AND unsubscribed_at IS NULL AND erased_at IS NULL AND email IS NOT NULL`,
    ),
    setUnsubscribeHash: sql.prepare('UPDATE supporters SET unsubscribe_token_hash = ? WHERE id = ? AND unsubscribe_token_hash IS NULL'),
    undeliveredOf: sql.prepare(
      `SELECT id, target_id AS targetId, status FROM letters WHERE supporter_id = ? AND status IN (${undelivered.map(() => '?').join(',')})`,
    ),
    failOutbox: sql.prepare("UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL WHERE letter_id = ? AND status IN ('queued', 'sending', 'held')"),
    scrubLetters: sql.prepare(
      'UPDATE letters SET signer_name = NULL, signer_city = NULL, note = NULL, subject = NULL, body = NULL, scrubbed_at = coalesce(scrubbed_at, ?) WHERE supporter_id = ?',
    ),
    eraseSupporter: sql.prepare(
      `UPDATE supporters SET email = NULL, name = NULL, city = NULL, ip = NULL, email_key = 'erased:' || id, consent_updates = 0,
         unsubscribe_token_hash = NULL, erased_at = ? WHERE id = ?`,
    ),
    forgetTokens: sql.prepare('UPDATE submissions SET token_hash = NULL, reminder_token_hash = NULL WHERE supporter_id = ?'),
    // Rows in flight too: deleted, the worker's outcome (sent, retry, fail) matches no row and is dropped.
    pendingMailTo: sql.prepare("SELECT id, payload FROM outbox WHERE lane = 0 AND status IN ('queued', 'sending', 'held', 'failed') AND payload IS NOT NULL"),
    deleteOutbox: sql.prepare('DELETE FROM outbox WHERE id = ?'),
    scrubBodies: sql.prepare(
      "UPDATE letters SET subject = NULL, body = NULL, note = NULL, scrubbed_at = ? WHERE status = 'sent' AND sent_at < ? AND body IS NOT NULL",
    ),
    staleSupporters: sql.prepare(
      `SELECT s.id, s.campaign_id AS campaignId FROM supporters s WHERE s.erased_at IS NULL AND s.email IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM letters l WHERE l.supporter_id = s.id AND (l.status NOT IN ('sent', 'failed') OR coalesce(l.sent_at, l.created_at) >= ?))
         AND s.created_at < ? LIMIT 1000`,
    ),
  };

  /** Derives (and records the hash of) the supporter's unsubscribe token. */
  function unsubscribeTokenFor(supporterId: string): string {
    const token = unsubscribeToken(unsubscribeKey, supporterId);
    stmt.setUnsubscribeHash.run(sha256(token), supporterId);
    return token;
  }

  /** What the unsubscribe page shows before anything changes (a GET must not unsubscribe: mail scanners follow links). */
  function subscription(token: string): { campaignTitle: string; unsubscribed: boolean } {
    const row = stmt.byUnsubscribeHash.get(sha256(token)) as { campaignTitle: string; unsubscribedAt: string | null } | undefined;
    if (!row) throw notFound('Subscription');
    return { campaignTitle: row.campaignTitle, unsubscribed: row.unsubscribedAt !== null };
  }

  /** RFC 8058 one-click: idempotent, needs nothing but the token. */
  function unsubscribe(token: string): { campaignTitle: string } {
    const row = stmt.byUnsubscribeHash.get(sha256(token)) as { id: string; campaignTitle: string } | undefined;
    if (!row) throw notFound('Subscription');
    stmt.unsubscribe.run(clock.now().toISOString(), row.id);
    return { campaignTitle: row.campaignTitle };
  }

  /** Called inside the transaction that stores an update with `notify`: one mail per consenting supporter. */
  function notifyUpdate(campaign: Campaign, update: CampaignUpdate): number {
    const at = clock.now().toISOString();
    const people = stmt.consenting.all(campaign.id) as { id: string; name: string; email: string }[];
    for (const p of people) {
      mail.update({
        campaignId: campaign.id,
        campaignTitle: campaign.title,
        name: p.name,
        email: p.email,
        title: update.title,
        body: update.body,
        unsubscribeToken: unsubscribeTokenFor(p.id),
        at,
      });
    }
    return people.length;
  }

  type SupporterRow = {
    id: string;
    campaign_id: string;
    slug: string;
    campaignTitle: string;
    email: string;
    name: string;
    city: string | null;
    country: string;
    consent_updates: number;
    consent_at: string | null;
    unsubscribed_at: string | null;
    counted_at: string | null;
    created_at: string;
  };

  /** Everything stored about an address (data subject access). */
  function exportData(email: string) {
    const rows = stmt.byEmail.all(normalizeEmail(email)) as SupporterRow[];
    // The address asked about is not echoed: after erasure the answer holds nothing about the person.
    return {
      supporters: rows.map((s) => ({
        campaign: { id: s.campaign_id, slug: s.slug, title: s.campaignTitle },
        name: s.name,
        email: s.email,
        city: s.city,
        country: s.country,
        consentUpdates: s.consent_updates === 1,
        consentAt: s.consent_at,
        unsubscribedAt: s.unsubscribed_at,
        confirmedAt: s.counted_at,
        createdAt: s.created_at,
        letters: stmt.lettersOf.all(s.id) as Record<string, unknown>[],
      })),
    };
  }

  function eraseSupporter(scope: MoveScope, id: string, campaignId: string, at: string) {
    for (const l of stmt.undeliveredOf.all(id, ...undelivered) as { id: string; targetId: string; status: LetterStatus }[]) {
      lifecycle.move(scope, { ...l, campaignId }, 'failed', at, erasedReason);
      stmt.failOutbox.run(erasedReason, l.id);
    }
    stmt.scrubLetters.run(at, id);
    stmt.forgetTokens.run(id);
    stmt.eraseSupporter.run(at, id);
  }

  /** Supporter mail still waiting (or in flight) carries the address in its payload: drop it, so it is never sent or retried. */
  function dropQueuedMailTo(emailKey: string) {
    for (const row of stmt.pendingMailTo.all() as { id: string; payload: string }[]) {
      const to = (JSON.parse(row.payload) as { to: { address: string } }).to.address;
      if (normalizeEmail(to) === emailKey) stmt.deleteOutbox.run(row.id);
    }
  }

  /** Erases the person everywhere; supporter and letter counts stay as they were. */
  function erase(email: string): void {
    const key = normalizeEmail(email);
    const at = clock.now().toISOString();
    lifecycle.transaction((scope) => {
      for (const s of stmt.byEmail.all(key) as SupporterRow[]) eraseSupporter(scope, s.id, s.campaign_id, at);
      dropQueuedMailTo(key);
    });
  }

  /** Scrubs letter bodies after delivery + bodyDays, and contact data after contactDays of silence. */
  function applyRetention(): { bodies: number; supporters: number } {
    const now = clock.now();
    const at = now.toISOString();
    const day = 24 * 60 * 60 * 1000;
    return lifecycle.transaction((scope) => {
      const bodies = stmt.scrubBodies.run(at, new Date(now.getTime() - deps.retention.bodyDays * day).toISOString()).changes;
      const cutoff = new Date(now.getTime() - deps.retention.contactDays * day).toISOString();
      const stale = stmt.staleSupporters.all(cutoff, cutoff) as { id: string; campaignId: string }[];
      for (const s of stale) eraseSupporter(scope, s.id, s.campaignId, at);
      return { bodies, supporters: stale.length };
    });
  }

  return { subscription, unsubscribe, notifyUpdate, exportData, erase, applyRetention, unsubscribeTokenFor };
}

export type SupporterService = ReturnType<typeof createSupporterService>;
