import type { campaigns, digestRuns, letters, outbox, targets } from '../db/schema.js';
import { dialectOf } from './dialect.js';
import type { AsyncSql } from './engine/async-sql.js';

type Outbox = typeof outbox.$inferSelect;
type Letter = typeof letters.$inferSelect;
type Target = typeof targets.$inferSelect;
type Campaign = typeof campaigns.$inferSelect;

/** A campaign with letters waiting in the digest lane, and when it last gathered them. */
export type DigestCampaign = Pick<Campaign, 'id'> & {
  /** DeliverySettings as JSON text. */
  delivery: string;
  /** Null before its first digest. */
  lastRunAt: (typeof digestRuns.$inferSelect)['lastRunAt'] | null;
  /** When its longest-waiting letter was queued. */
  firstWaiting: string;
};

/** A letter's row in the digest lane (waiting, or carried by a digest mail), with its letter. */
export type DigestMember = Pick<Outbox, 'id'> &
  Pick<Letter, 'status' | 'body'> & {
    /** Never null: joined to its letter and target. */
    letterId: Letter['id'];
    targetId: Target['id'];
    targetEmail: Target['email'];
    targetDeletedAt: Target['deletedAt'];
  };

/** A letter a digest mail still carries, as it goes into the mail. */
export type DigestLetter = Pick<Letter, 'subject' | 'note'> & {
  /** Never null: only letters with their text. */
  body: string;
  name: Letter['signerName'];
  city: Letter['signerCity'];
  country: Letter['signerCountry'];
  targetName: Target['name'];
  targetEmail: Target['email'];
  campaignTitle: Campaign['title'];
  locale: Campaign['locale'];
};

/**
 * The digest lane: letters wait in lane 2 until their campaign's digest gathers them into one
 * digest mail (an outbox row of its own) per target; digest_runs records when each campaign last did.
 */
export function createDigestRepo(sql: AsyncSql) {
  const d = dialectOf(sql);
  return {
    /** Campaigns not paused with letters waiting. */
    async campaignsWaiting(): Promise<DigestCampaign[]> {
      return await sql.all(
        `SELECT c.id, c.delivery, r.last_run_at AS "lastRunAt", (SELECT min(created_at) FROM outbox WHERE campaign_id = c.id AND status = 'queued' AND lane = 2) AS "firstWaiting"
         FROM campaigns c LEFT JOIN digest_runs r ON r.campaign_id = c.id
         WHERE c.status <> 'paused' AND c.id IN (SELECT DISTINCT campaign_id FROM outbox WHERE status = 'queued' AND lane = 2)`,
      );
    },
    /** The campaign's waiting letters, by target; on PostgreSQL those another worker is gathering right now are skipped, so none goes in two digests. */
    async waiting(campaignId: string): Promise<DigestMember[]> {
      return await sql.all(
        `SELECT o.id, o.letter_id AS "letterId", o.target_id AS "targetId", l.status, l.body, t.email AS "targetEmail", t.deleted_at AS "targetDeletedAt"
         FROM outbox o JOIN letters l ON l.id = o.letter_id JOIN targets t ON t.id = o.target_id
         WHERE o.status = 'queued' AND o.lane = 2 AND o.campaign_id = ? ORDER BY o.target_id, o.id${d.skipLocked('o')}`,
        [campaignId],
      );
    },
    /** Queues a digest mail to one target, in `lane`. */
    async insertDigest(id: string, lane: number, campaignId: string, targetId: string, recipientDomain: string | null, at: string): Promise<void> {
      await sql.run(
        `INSERT INTO outbox (id, kind, lane, campaign_id, target_id, recipient_domain, status, attempts, next_attempt_at, created_at)
         VALUES (?, 'digest', ?, ?, ?, ?, 'queued', 0, ?, ?)`,
        [id, lane, campaignId, targetId, recipientDomain, at, at],
      );
    },
    /** A waiting letter's row goes with the digest mail `digestId`. */
    async bind(memberId: string, digestId: string): Promise<void> {
      await sql.run(`UPDATE outbox SET status = 'sending', digest_id = ? WHERE id = ?`, [digestId, memberId]);
    },
    async setStatus(memberId: string, status: Outbox['status']): Promise<void> {
      await sql.run('UPDATE outbox SET status = ? WHERE id = ?', [status, memberId]);
    },
    /** The campaign gathered its letters at `at`. */
    async ran(campaignId: string, at: string): Promise<void> {
      await sql.run(
        'INSERT INTO digest_runs (campaign_id, last_run_at) VALUES (?, ?) ON CONFLICT (campaign_id) DO UPDATE SET last_run_at = excluded.last_run_at',
        [campaignId, at],
      );
    },
    /** The letters the digest mail still carries. */
    async members(digestId: string): Promise<Omit<DigestMember, 'targetId' | 'targetEmail'>[]> {
      return await sql.all(
        `SELECT o.id, o.letter_id AS "letterId", l.status, l.body, t.deleted_at AS "targetDeletedAt"
         FROM outbox o JOIN letters l ON l.id = o.letter_id JOIN targets t ON t.id = l.target_id
         WHERE o.digest_id = ? AND o.status = 'sending'`,
        [digestId],
      );
    },
    /** A letter's row leaves its digest mail with `status`. */
    async leave(memberId: string, status: Outbox['status']): Promise<void> {
      await sql.run('UPDATE outbox SET status = ?, digest_id = NULL WHERE id = ?', [status, memberId]);
    },
    /** The rows of the letters the digest mail still carries share its final `status`. */
    async finishMembers(digestId: string, status: Outbox['status']): Promise<void> {
      await sql.run(`UPDATE outbox SET status = ?, payload = NULL WHERE digest_id = ? AND status = 'sending'`, [status, digestId]);
    },
    /** The digest mail fails with `error` before it is sent. */
    async drop(digestId: string, error: string): Promise<void> {
      await sql.run(`UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?`, [error, digestId]);
    },
    /** The letters still deliverable with the digest mail, with their text, in letter order. */
    async content(digestId: string): Promise<DigestLetter[]> {
      return await sql.all(
        `SELECT l.subject, l.body, l.signer_name AS name, l.signer_city AS city, l.signer_country AS country, l.note,
           t.name AS "targetName", t.email AS "targetEmail", c.title AS "campaignTitle", c.locale
         FROM outbox o JOIN letters l ON l.id = o.letter_id JOIN targets t ON t.id = l.target_id JOIN campaigns c ON c.id = l.campaign_id
         WHERE o.digest_id = ? AND o.status = 'sending' AND l.status IN ('queued', 'sending') AND l.body IS NOT NULL AND t.deleted_at IS NULL
         ORDER BY l.id`,
        [digestId],
      );
    },
  };
}
