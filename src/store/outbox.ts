import type { letters, outbox, supporters, targets } from '../db/schema.js';
import { dialectOf } from './dialect.js';
import type { AsyncSql } from './engine/async-sql.js';
import { heldRank } from './held-ranks.js';

type Outbox = typeof outbox.$inferSelect;
type Letter = typeof letters.$inferSelect;
type Target = typeof targets.$inferSelect;

/** A message to queue; `at` is both its creation and its first due time. */
export type NewOutboxRow = Pick<Outbox, 'id' | 'kind' | 'lane' | 'campaignId' | 'letterId' | 'targetId' | 'recipientDomain'> & {
  /** MailPayload as JSON text. */
  payload: string | null;
  at: string;
};

/** A due row, with its campaign's per-target hourly limit. */
export type Candidate = Pick<Outbox, 'id' | 'kind' | 'letterId' | 'targetId'> & {
  domain: Outbox['recipientDomain'];
  /** campaigns.delivery's perTargetPerHour; null without a limit or a campaign. */
  perHour: number | null;
};

export type Claimed = Pick<Outbox, 'attempts'> & {
  /** Never null: the claim sets it. */
  firstAttemptAt: string;
  /** MailPayload as JSON text. */
  payload: string | null;
};

/** Letters to one target claimed within the throttle's hour. */
export type ClaimWindow = { n: number; first: Outbox['claimedAt']; last: Outbox['claimedAt'] };

/** The letter an outbox row carries, with what its mail needs. */
export type LetterToSend = Pick<Letter, 'id' | 'campaignId' | 'targetId' | 'status' | 'subject' | 'body' | 'signerName' | 'locale'> & {
  supporterEmail: (typeof supporters.$inferSelect)['email'];
  targetName: Target['name'];
  targetEmail: Target['email'];
  targetDeletedAt: Target['deletedAt'];
};

/** A claim's identity: an outcome is recorded only while the row is still that claim. */
export type ClaimFence = { id: string; owner: string; attempts: number };

/** The outbox queue: rows written, claimed with a lease, deferred, and their outcomes recorded. */
export function createOutboxRepo(sql: AsyncSql) {
  const d = dialectOf(sql);
  /** Letters deferred under a per-target limit that has since changed (raised, lowered or removed). */
  const staleThrottle = `status = 'queued' AND lane = 1 AND next_attempt_at > @now AND throttle_limit IS NOT NULL
    AND throttle_limit IS DISTINCT FROM (SELECT ${d.jsonInt('c.delivery', 'perTargetPerHour')} FROM campaigns c WHERE c.id = outbox.campaign_id)`;
  return {
    async insert(row: NewOutboxRow): Promise<void> {
      await sql.hold(
        `INSERT INTO outbox (id, kind, lane, campaign_id, letter_id, target_id, recipient_domain, payload, status, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
        [row.id, row.kind, row.lane, row.campaignId, row.letterId, row.targetId, row.recipientDomain, row.payload, row.at, row.at],
        heldRank.outbox,
      );
    },

    /** Requeues rows whose lease expired, except `owner`'s rows in `live` (a JSON array of ids): their sends may yet succeed. */
    async reclaim(now: string, owner: string, live: string): Promise<void> {
      await sql.run(
        `UPDATE outbox SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL
         WHERE status = 'sending' AND lease_expires_at <= @now AND NOT (lease_owner = @owner AND ${d.inJsonArray('id', '@live')})`,
        { now, owner, live },
      );
    },
    /** Extends to `lease` the leases of `owner`'s rows in `live` (a JSON array of ids). */
    async renew(lease: string, owner: string, live: string): Promise<void> {
      await sql.run(
        `UPDATE outbox SET lease_expires_at = @lease WHERE lease_owner = @owner AND status = 'sending' AND ${d.inJsonArray('id', '@live')}`,
        { lease, owner, live },
      );
    },
    /** Up to `limit` rows of `lane` due at `now`, the longest waiting first; letters of paused campaigns are left out. */
    async candidates(lane: number, now: string, limit: number): Promise<Candidate[]> {
      return await sql.all(
        `SELECT o.id, o.kind, o.letter_id AS "letterId", o.target_id AS "targetId",
           o.recipient_domain AS domain, ${d.jsonInt('c.delivery', 'perTargetPerHour')} AS "perHour"
         FROM outbox o LEFT JOIN campaigns c ON c.id = o.campaign_id
         WHERE o.status = 'queued' AND o.lane = ? AND o.next_attempt_at <= ?
           AND (o.lane = 0 OR c.status IS NULL OR c.status <> 'paused')
         ORDER BY o.next_attempt_at LIMIT ?${d.skipLocked('o')}`,
        [lane, now, limit],
      );
    },
    /** Leases queued rows to `owner` until `lease` and counts the attempt, in one statement; rows another worker took are missing from the answer. */
    async claim(ids: string[], owner: string, lease: string, now: string): Promise<Map<string, Claimed>> {
      if (ids.length === 0) return new Map();
      const rows = await sql.all<Claimed & { id: string }>(
        `UPDATE outbox SET status = 'sending', lease_owner = @owner, lease_expires_at = @lease, attempts = attempts + 1,
           claimed_at = @now, first_attempt_at = coalesce(first_attempt_at, @now), throttle_limit = NULL
         WHERE ${d.inJsonArray('id', '@ids')} AND status = 'queued'
         RETURNING id, attempts, first_attempt_at AS "firstAttemptAt", payload`,
        { ids: JSON.stringify(ids), owner, lease, now },
      );
      return new Map(rows.map(({ id, ...claimed }) => [id, claimed]));
    },
    /** A queued row becomes due at `next`. */
    async defer(id: string, next: string): Promise<void> {
      await sql.run(`UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'queued'`, [next, id]);
    },
    /** A queued letter waits for its throttle slot; `limit` is the hourly limit that set it (so a changed one can be told). */
    async deferThrottled(id: string, next: string, limit: number): Promise<void> {
      await sql.run(`UPDATE outbox SET next_attempt_at = ?, throttle_limit = ? WHERE id = ? AND status = 'queued'`, [next, limit, id]);
    },
    /** Whether any letter waits under a per-target limit that has since changed. */
    async hasStaleThrottle(now: string): Promise<boolean> {
      return await sql.value(`SELECT 1 FROM outbox WHERE ${staleThrottle} LIMIT 1`, { now }) !== undefined;
    },
    /** Letters waiting under a changed limit are due at `now`. */
    async rethrottle(now: string): Promise<void> {
      await sql.run(`UPDATE outbox SET next_attempt_at = @now WHERE ${staleThrottle}`, { now });
    },
    /** How many letters to `targetId` were claimed after `since` (sending or sent), and the first and last claim. */
    async claimWindow(targetId: string, since: string): Promise<ClaimWindow> {
      return (await sql.get<ClaimWindow>(
        `SELECT count(*) AS n, min(claimed_at) AS first, max(claimed_at) AS last FROM outbox
         WHERE target_id = ? AND claimed_at > ? AND kind = 'letter' AND status IN ('sending', 'sent')`,
        [targetId, since],
      ))!;
    },
    /** A row whose letter was decided elsewhere takes `status` and leaves the queue. */
    async park(id: string, status: Outbox['status']): Promise<void> {
      await sql.run('UPDATE outbox SET status = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?', [status, id]);
    },

    // Outcomes: `attempts` grows with every claim, so a late answer to a send whose lease was lost
    // (and claimed again) changes nothing. Each returns whether the outcome was recorded.
    /** A late success also counts once its expired lease was released but before the row was claimed again. */
    async sent(claim: ClaimFence, now: string): Promise<boolean> {
      return (
        (await sql.run(
          `UPDATE outbox SET status = 'sent', sent_at = @now, lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, payload = NULL
           WHERE id = @id AND attempts = @attempts AND (status = 'sending' AND lease_owner = @owner OR status = 'queued' AND lease_owner IS NULL)`,
          { ...claim, now },
        )).changes > 0
      );
    },
    /** Queued again, due at `next`. */
    async retry(claim: ClaimFence, next: string, error: string): Promise<boolean> {
      return (
        (await sql.run(
          `UPDATE outbox SET status = 'queued', next_attempt_at = @next, lease_owner = NULL, lease_expires_at = NULL, last_error = @error
           WHERE id = @id AND status = 'sending' AND lease_owner = @owner AND attempts = @attempts`,
          { ...claim, next, error },
        )).changes > 0
      );
    },
    /** Given up: `failed` or `held`, its payload wiped. */
    async finish(claim: ClaimFence, status: 'failed' | 'held', error: string): Promise<boolean> {
      return (
        (await sql.run(
          `UPDATE outbox SET status = @status, lease_owner = NULL, lease_expires_at = NULL, last_error = @error, payload = NULL
           WHERE id = @id AND status = 'sending' AND lease_owner = @owner AND attempts = @attempts`,
          { ...claim, status, error },
        )).changes > 0
      );
    },

    // The letters claimed rows carry (letters' status moves only through the lifecycle), in one statement.
    async lettersToSend(letterIds: string[]): Promise<Map<string, LetterToSend>> {
      if (letterIds.length === 0) return new Map();
      const rows = await sql.all<LetterToSend>(
        `SELECT l.id, l.campaign_id AS "campaignId", l.target_id AS "targetId", l.status, l.subject, l.body, l.signer_name AS "signerName",
           l.locale, s.email AS "supporterEmail", t.name AS "targetName", t.email AS "targetEmail", t.deleted_at AS "targetDeletedAt"
         FROM letters l JOIN supporters s ON s.id = l.supporter_id JOIN targets t ON t.id = l.target_id WHERE ${d.inJsonArray('l.id', '?')}`,
        [JSON.stringify(letterIds)],
      );
      return new Map(rows.map((r) => [r.id, r]));
    },
    /** The letter's outbox row follows moderation: parked while held, due again (with a fresh retry budget) when released. */
    followModeration: async (letterId: string, to: 'held' | 'queued', from: 'held' | 'queued', at: string) =>
      { await sql.run(
        'UPDATE outbox SET status = ?, next_attempt_at = ?, attempts = 0, first_attempt_at = NULL, last_error = NULL WHERE letter_id = ? AND status = ?',
        [to, at, letterId, from],
      ); },
    /**
     * A bounced letter goes again: its sent row is due now, to `domain` (the target's corrected
     * address), with a fresh retry budget. False when the letter has no such row.
     */
    resendLetter: async (letterId: string, domain: string, at: string) =>
      (await sql.run(
        `UPDATE outbox SET status = 'queued', next_attempt_at = ?, recipient_domain = ?, attempts = 0, first_attempt_at = NULL, claimed_at = NULL,
           lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, sent_at = NULL
         WHERE letter_id = ? AND kind = 'letter' AND status = 'sent'`,
        [at, domain, letterId],
      )).changes === 1,
    /** Erasure: the undelivered outbox row of a letter fails with `reason`. */
    async failForLetter(letterId: string, reason: string): Promise<void> {
      await sql.run(`UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL WHERE letter_id = ? AND status IN ('queued', 'sending', 'held')`, [reason, letterId]);
    },
    /** Supporter mail not yet sent (in flight too), with its payload (MailPayload as JSON text). */
    async pendingSupporterMail(): Promise<{ id: string; payload: string }[]> {
      return await sql.all(`SELECT id, payload FROM outbox WHERE lane = 0 AND status IN ('queued', 'sending', 'held', 'failed') AND payload IS NOT NULL`);
    },
    /** Deleted: a worker's outcome for it (sent, retry, fail) matches no row and is dropped. */
    async remove(id: string): Promise<void> {
      await sql.run('DELETE FROM outbox WHERE id = ?', [id]);
    },
    /** Queued letters to a target that the worker deferred under its hourly limit. */
    async throttledFor(targetId: string, now: string): Promise<number> {
      return (
        await sql.value<number>(
          `SELECT count(*) FROM outbox WHERE status = 'queued' AND lane = 1 AND next_attempt_at > ? AND target_id = ?
             AND kind = 'letter' AND throttle_limit IS NOT NULL`,
          [now, targetId],
        ) ?? 0
      );
    },
  };
}
