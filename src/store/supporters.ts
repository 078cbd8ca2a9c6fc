import type { campaigns, submissions, supporters } from '../db/schema.js';
import { coalesce } from './coalesce.js';
import type { AsyncSql } from './engine/async-sql.js';
import { heldRank } from './held-ranks.js';

const insertSupporter = `INSERT INTO supporters (id, campaign_id, email_key, email, name, city, country, consent_updates, consent_at, ip, counted_at, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

type Supporter = typeof supporters.$inferSelect;
type Submission = typeof submissions.$inferSelect;

/** A supporter with their campaign, as the data subject export shows them; consent as stored (0/1). */
export type SupporterExportRow = Pick<Supporter, 'id' | 'campaignId' | 'name' | 'email' | 'city' | 'country' | 'consentAt' | 'unsubscribedAt' | 'countedAt' | 'createdAt'> & {
  consentUpdates: 0 | 1;
  slug: (typeof campaigns.$inferSelect)['slug'];
  campaignTitle: (typeof campaigns.$inferSelect)['title'];
};

/** Supporters: one person per campaign, known by their normalized address. */
export function createSupporterRepo(sql: AsyncSql) {
  type Found = Pick<Supporter, 'id' | 'countedAt'>;
  /** Lookups made while one is in flight go out together, as one statement. */
  const lookAhead = coalesce(async (keys: { campaignId: string; emailKey: string }[]) => {
    const rows = await sql.all<Found & { campaignId: string; emailKey: string }>(
      `SELECT id, counted_at AS "countedAt", campaign_id AS "campaignId", email_key AS "emailKey" FROM supporters
       WHERE (campaign_id, email_key) IN (${keys.map(() => '(?, ?)').join(', ')})`,
      keys.flatMap((k) => [k.campaignId, k.emailKey]),
    );
    const found = new Map(rows.map((r) => [`${r.campaignId}\u0000${r.emailKey}`, { id: r.id, countedAt: r.countedAt }]));
    return keys.map((k) => found.get(`${k.campaignId}\u0000${k.emailKey}`) ?? null);
  });
  return {
    /** Whether this address has signed the campaign, asked before a write transaction begins: what byKey may use inside it. */
    lookAhead: (campaignId: string, emailKey: string): Promise<Found | null> => lookAhead({ campaignId, emailKey }),
    /**
     * The supporter with this address key, as a write sees it: one whose insert this transaction
     * still holds (without sending the held rows), else, where the transaction holds inserts, no
     * one when `ahead` found no one, else a read. Trusting that absence is safe: a supporter
     * written since by another request makes this one's held insert fail on the unique key, and
     * the group commit replays the batch without holding, so this reads.
     */
    async byKey(campaignId: string, emailKey: string, ahead?: Found | null): Promise<Found | undefined> {
      const held = sql.heldRows(insertSupporter).find((p) => p[1] === campaignId && p[2] === emailKey);
      if (held) return { id: held[0] as string, countedAt: held[10] as string | null };
      if (ahead === null && sql.holding()) return undefined;
      return await sql.get('SELECT id, counted_at AS "countedAt" FROM supporters WHERE campaign_id = ? AND email_key = ?', [campaignId, emailKey], { beforeHeld: true });
    },
    async insert(row: Pick<Supporter, 'id' | 'campaignId' | 'emailKey' | 'email' | 'name' | 'city' | 'country' | 'consentUpdates' | 'consentAt' | 'ip' | 'countedAt' | 'createdAt'>): Promise<void> {
      await sql.hold(
        insertSupporter,
        [row.id, row.campaignId, row.emailKey, row.email, row.name, row.city, row.country, row.consentUpdates ? 1 : 0, row.consentAt, row.ip, row.countedAt, row.createdAt],
        heldRank.supporters,
      );
    },
    countryOf: async (id: string) => await sql.value<Supporter['country']>('SELECT country FROM supporters WHERE id = ?', [id]),
    /** Counts the supporter from `at`; false if they were already counted. */
    markCounted: async (id: string, at: string) => (await sql.run('UPDATE supporters SET counted_at = ? WHERE id = ? AND counted_at IS NULL', [at, id])).changes === 1,
    /** Every supporter with this address key, in every campaign, oldest first. */
    byEmailKey: async (emailKey: string) =>
      await sql.all<SupporterExportRow>(
        `SELECT s.id, s.campaign_id AS "campaignId", s.name, s.email, s.city, s.country, s.consent_updates AS "consentUpdates", s.consent_at AS "consentAt",
           s.unsubscribed_at AS "unsubscribedAt", s.counted_at AS "countedAt", s.created_at AS "createdAt", c.slug, c.title AS "campaignTitle"
         FROM supporters s JOIN campaigns c ON c.id = s.campaign_id WHERE s.email_key = ? ORDER BY s.created_at`,
        [emailKey],
      ),
    byUnsubscribeHash: async (hash: string) =>
      await sql.get<Pick<Supporter, 'id' | 'unsubscribedAt'> & { campaignTitle: string; campaignSlug: string }>(
        `SELECT s.id, c.title AS "campaignTitle", c.slug AS "campaignSlug", s.unsubscribed_at AS "unsubscribedAt" FROM supporters s JOIN campaigns c ON c.id = s.campaign_id
         WHERE s.unsubscribe_token_hash = ?`,
        [hash],
      ),
    unsubscribe: async (id: string, at: string) =>
      { await sql.run('UPDATE supporters SET consent_updates = 0, unsubscribed_at = coalesce(unsubscribed_at, ?) WHERE id = ?', [at, id]); },
    /** Records the hash of the supporter's (derived) unsubscribe token the first time it is handed out. */
    setUnsubscribeHash: async (id: string, hash: string) =>
      { await sql.run('UPDATE supporters SET unsubscribe_token_hash = ? WHERE id = ? AND unsubscribe_token_hash IS NULL', [hash, id]); },
    /** Counted supporters who asked for updates and can still be mailed. */
    consenting: async (campaignId: string) =>
      await sql.all<Pick<Supporter, 'id'> & { name: string; email: string }>(
        `SELECT id, name, email FROM supporters WHERE campaign_id = ? AND consent_updates = 1 AND counted_at IS NOT NULL
           AND unsubscribed_at IS NULL AND erased_at IS NULL AND email IS NOT NULL`,
        [campaignId],
      ),
    /** Counted supporters who asked for updates, can still be mailed, and wrote to `targetId`. */
    consentingWritersTo: async (campaignId: string, targetId: string) =>
      await sql.all<Pick<Supporter, 'id'> & { name: string; email: string }>(
        `SELECT s.id, s.name, s.email FROM supporters s WHERE s.campaign_id = ? AND s.consent_updates = 1 AND s.counted_at IS NOT NULL
           AND s.unsubscribed_at IS NULL AND s.erased_at IS NULL AND s.email IS NOT NULL
           AND EXISTS (SELECT 1 FROM letters l WHERE l.supporter_id = s.id AND l.target_id = ?)`,
        [campaignId, targetId],
      ),
    /** Removes the person's contact data; the row stays, so counts stay. */
    erase: async (id: string, at: string) =>
      { await sql.run(
        `UPDATE supporters SET email = NULL, name = NULL, city = NULL, ip = NULL, email_key = 'erased:' || id, consent_updates = 0,
           unsubscribe_token_hash = NULL, erased_at = ? WHERE id = ?`,
        [at, id],
      ); },
    /**
     * Supporters silent since `cutoff` (retention): every letter delivered (bounced ones too), failed or held before it.
     * A held letter is not delivered, so it may not keep its writer forever: it counts from its confirmation.
     */
    silentSince: async (cutoff: string) =>
      await sql.all<Pick<Supporter, 'id' | 'campaignId' | 'countedAt'>>(
        `SELECT s.id, s.campaign_id AS "campaignId", s.counted_at AS "countedAt" FROM supporters s WHERE s.erased_at IS NULL AND s.email IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM letters l WHERE l.supporter_id = s.id
             AND (l.status NOT IN ('sent', 'bounced', 'failed', 'held') OR coalesce(l.sent_at, l.confirmed_at, l.created_at) >= ?))
           AND s.created_at < ? LIMIT 1000`,
        [cutoff, cutoff],
      ),
    /** Supporters never counted whose every confirmation link expired before `expiredBefore` (retention). */
    neverConfirmed: async (expiredBefore: string) =>
      await sql.all<Pick<Supporter, 'id' | 'campaignId' | 'countedAt'>>(
        `SELECT p.id, p.campaign_id AS "campaignId", p.counted_at AS "countedAt" FROM supporters p WHERE p.counted_at IS NULL AND p.erased_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.supporter_id = p.id AND (s.expires_at IS NULL OR s.expires_at > ?))
         LIMIT 1000`,
        [expiredBefore],
      ),
  };
}

/** Submissions: the letters a supporter signed together, confirmed together by one token. */
export function createSubmissionRepo(sql: AsyncSql) {
  return {
    async insert(row: Pick<Submission, 'id' | 'campaignId' | 'supporterId' | 'tokenHash' | 'expiresAt' | 'confirmedAt' | 'createdAt'>): Promise<void> {
      await sql.hold(
        'INSERT INTO submissions (id, campaign_id, supporter_id, token_hash, expires_at, confirmed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [row.id, row.campaignId, row.supporterId, row.tokenHash, row.expiresAt, row.confirmedAt, row.createdAt],
        heldRank.submissions,
      );
    },
    /** The submission a confirmation link (first or reminder) belongs to. */
    byTokenHash: async (hash: string) =>
      await sql.get<Pick<Submission, 'id' | 'campaignId' | 'supporterId' | 'expiresAt' | 'confirmedAt'>>(
        `SELECT id, campaign_id AS "campaignId", supporter_id AS "supporterId", expires_at AS "expiresAt", confirmed_at AS "confirmedAt"
         FROM submissions WHERE token_hash = ? OR reminder_token_hash = ?`,
        [hash, hash],
      ),
    /** Confirms once; false if it already was. */
    confirm: async (id: string, at: string) => (await sql.run('UPDATE submissions SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL', [at, id])).changes === 1,
    /** Unconfirmed submissions signed before `signedBefore`, still valid at `now`, not yet reminded. */
    dueReminders: async (signedBefore: string, now: string) =>
      await sql.all<Pick<Submission, 'id' | 'campaignId'> & { name: string; email: string }>(
        `SELECT s.id, s.campaign_id AS "campaignId", p.name, p.email FROM submissions s JOIN supporters p ON p.id = s.supporter_id
         WHERE s.confirmed_at IS NULL AND s.reminded_at IS NULL AND s.token_hash IS NOT NULL
           AND s.created_at <= ? AND s.expires_at > ? AND p.email IS NOT NULL LIMIT 500`,
        [signedBefore, now],
      ),
    /** The supporter's newest submission still waiting for confirmation at `now`, with a live link. */
    openOf: async (supporterId: string, now: string) =>
      await sql.get<Pick<Submission, 'id'>>(
        `SELECT id FROM submissions WHERE supporter_id = ? AND confirmed_at IS NULL AND token_hash IS NOT NULL AND expires_at > ?
         ORDER BY created_at DESC LIMIT 1`,
        [supporterId, now],
      ),
    setReminder: async (id: string, tokenHash: string, at: string) =>
      { await sql.run('UPDATE submissions SET reminder_token_hash = ?, reminded_at = ? WHERE id = ?', [tokenHash, at, id]); },
    /** Unconfirmed submissions whose link expired before `expiredBefore`, not yet erased (retention). */
    expiredUnconfirmed: async (expiredBefore: string) =>
      await sql.all<Pick<Submission, 'id' | 'campaignId'>>(
        `SELECT s.id, s.campaign_id AS "campaignId" FROM submissions s WHERE s.confirmed_at IS NULL AND s.expires_at <= ?
           AND (s.token_hash IS NOT NULL OR s.reminder_token_hash IS NOT NULL
             OR EXISTS (SELECT 1 FROM letters l WHERE l.submission_id = s.id AND l.scrubbed_at IS NULL))
         LIMIT 1000`,
        [expiredBefore],
      ),
    /** Makes the links of one submission worthless. */
    forgetTokens: async (id: string) => { await sql.run('UPDATE submissions SET token_hash = NULL, reminder_token_hash = NULL WHERE id = ?', [id]); },
    /** Makes every link of a supporter worthless (erasure). */
    forgetTokensOf: async (supporterId: string) =>
      { await sql.run('UPDATE submissions SET token_hash = NULL, reminder_token_hash = NULL WHERE supporter_id = ?', [supporterId]); },
  };
}

/**
 * Per-address mail counts per bucket (kind, maybe campaign, and day): keyed by a keyed hash, so the
 * table holds no address. Every bucket name ends with its day (YYYY-MM-DD).
 */
export function createMailCapRepo(sql: AsyncSql) {
  return {
    /** Every bucket of one address (erasure). */
    forget: async (addressKey: string) => { await sql.run('DELETE FROM mail_caps WHERE address_key = ?', [addressKey]); },
    /** Deletes the buckets of days before `day` (YYYY-MM-DD); returns how many. */
    sweepBefore: async (day: string) => (await sql.run('DELETE FROM mail_caps WHERE substr(bucket, length(bucket) - 9) < ?', [day])).changes,
    /** Counts one more mail in the bucket unless it already holds `max`; true if counted. */
    take: async (addressKey: string, bucket: string, max: number) =>
      (await sql.run(
        `INSERT INTO mail_caps (address_key, bucket, count) VALUES (?, ?, 1)
         ON CONFLICT (address_key, bucket) DO UPDATE SET count = mail_caps.count + 1 WHERE mail_caps.count < ?`,
        [addressKey, bucket, max],
      )).changes === 1,
  };
}
