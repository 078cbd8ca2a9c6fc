import type { LetterStatus, letters, supporters, targets } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';
import { dialectOf } from './dialect.js';
import { heldRank } from './held-ranks.js';

type Letter = typeof letters.$inferSelect;
type Target = typeof targets.$inferSelect;

/** A letter as its mover reads it (the lifecycle's compare-and-set works from this). */
export type LetterState = Pick<Letter, 'id' | 'campaignId' | 'targetId' | 'status'>;

/** A row of the organizer's letter list: the letter with its signer and the supporter's address. */
export type LetterListRow = Pick<Letter, 'id' | 'campaignId' | 'targetId' | 'templateId' | 'templateVersion' | 'locale' | 'status' | 'originality' | 'attempts' | 'lastError' | 'createdAt' | 'sentAt'> & {
  name: Letter['signerName'];
  email: (typeof supporters.$inferSelect)['email'];
  city: Letter['signerCity'];
  country: Letter['signerCountry'];
};

const listSelect = `SELECT l.id, l.campaign_id AS "campaignId", l.target_id AS "targetId", l.template_id AS "templateId",
  l.template_version AS "templateVersion", l.locale, l.status, l.originality, l.attempts, l.last_error AS "lastError",
  l.created_at AS "createdAt", l.sent_at AS "sentAt", l.signer_name AS name, s.email, l.signer_city AS city, l.signer_country AS country
  FROM letters l JOIN supporters s ON s.id = l.supporter_id`;

/** Letters: written at submission, moved only by the lifecycle, scrubbed by retention and erasure. */
export function createLetterRepo(sql: AsyncSql) {
  return {
    async insert(row: Pick<Letter, 'id' | 'campaignId' | 'targetId' | 'supporterId' | 'submissionId' | 'templateId' | 'templateVersion' | 'locale' | 'status' | 'signerName' | 'signerCity' | 'signerCountry' | 'note' | 'subject' | 'body' | 'originality' | 'createdAt' | 'confirmedAt'>): Promise<void> {
      // Positional parameters: binding by name cost a lookup per field on the accept path.
      await sql.hold(
        `INSERT INTO letters (id, campaign_id, target_id, supporter_id, submission_id, template_id, template_version, locale, status, signer_name, signer_city,
           signer_country, note, subject, body, originality, created_at, confirmed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [row.id, row.campaignId, row.targetId, row.supporterId, row.submissionId, row.templateId, row.templateVersion, row.locale, row.status, row.signerName, row.signerCity,
          row.signerCountry, row.note, row.subject, row.body, row.originality, row.createdAt, row.confirmedAt],
        heldRank.letters,
      );
    },
    state: async (id: string) => await sql.get<LetterState>('SELECT id, campaign_id AS "campaignId", target_id AS "targetId", status FROM letters WHERE id = ?', [id]),
    /**
     * Moves a letter from `from` to `to` (the lifecycle's one write of a status): `setError`
     * replaces the reason with `error`; `sent_at` and `confirmed_at` follow the move. False if
     * the letter no longer had `from`.
     */
    move: async (m: { id: string; from: LetterStatus; to: LetterStatus; at: string; setError: boolean; error: string | null }) =>
      (await sql.run(
        `UPDATE letters SET status = @to,
           last_error = CASE WHEN @setError = 1 THEN @error ELSE last_error END,
           sent_at = CASE WHEN @to = 'sent' THEN @at ELSE sent_at END,
           confirmed_at = CASE WHEN @from = 'pending_confirmation' AND @to = 'queued' THEN @at ELSE confirmed_at END
         WHERE id = @id AND status = @from`,
        { ...m, setError: m.setError ? 1 : 0 },
      )).changes === 1,
    /** One more delivery attempt for each of these letters. */
    countAttempts: async (ids: string[]) => {
      if (ids.length > 0) await sql.run(`UPDATE letters SET attempts = attempts + 1 WHERE ${dialectOf(sql).inJsonArray('id', '?')}`, [JSON.stringify(ids)]);
    },
    /** Targets a supporter has already written to (one letter per supporter per target). */
    targetsWrittenBy: async (supporterId: string) => await sql.all<Pick<Letter, 'targetId'>>('SELECT target_id AS "targetId" FROM letters WHERE supporter_id = ?', [supporterId]),
    /** The letters of one submission with their targets, in id order. */
    ofSubmission: async (submissionId: string) =>
      await sql.all<Pick<Letter, 'id' | 'targetId' | 'status' | 'subject' | 'body'> & { targetName: Target['name']; targetTitle: Target['title']; targetEmail: Target['email'] }>(
        `SELECT l.id, l.target_id AS "targetId", l.status, l.subject, l.body, t.name AS "targetName", t.title AS "targetTitle", t.email AS "targetEmail"
         FROM letters l JOIN targets t ON t.id = l.target_id WHERE l.submission_id = ? ORDER BY l.id`,
        [submissionId],
      ),
    /** A keyset page of a campaign's letters, optionally of one status or target; one row more than `limit` when there is a next page. */
    async page(campaignId: string, q: { status?: LetterStatus; targetId?: string; cursor?: string; limit: number }): Promise<LetterListRow[]> {
      const where = ['l.campaign_id = ?'];
      const args: unknown[] = [campaignId];
      const filter = (clause: string, value: string | undefined) => {
        if (value === undefined) return;
        where.push(clause);
        args.push(value);
      };
      filter('l.status = ?', q.status);
      filter('l.target_id = ?', q.targetId);
      filter('l.id > ?', q.cursor);
      return await sql.all(`${listSelect} WHERE ${where.join(' AND ')} ORDER BY l.id LIMIT ?`, [...args, q.limit + 1]);
    },
    listRow: async (id: string) => await sql.get<LetterListRow>(`${listSelect} WHERE l.id = ?`, [id]),
    /** 500 letters after `cursor` for the CSV export, columns named as its headers read them. */
    csvPage: async (campaignId: string, cursor: string) =>
      await sql.all<Record<string, unknown>>(
        `SELECT l.id, l.created_at, l.status, t.name AS target, t.title AS target_title, l.signer_name, s.email AS supporter_email,
           l.signer_city, l.signer_country, l.note, l.template_id, l.template_version, l.locale, l.attempts, l.last_error, l.sent_at
         FROM letters l JOIN supporters s ON s.id = l.supporter_id JOIN targets t ON t.id = l.target_id
         WHERE l.campaign_id = ? AND l.id > ? ORDER BY l.id LIMIT 500`,
        [campaignId, cursor],
      ),
    /** The latest reason a target's letters are failing or waiting, for the stats. */
    lastErrorOf: async (targetId: string) =>
      await sql.value<string>(
        `SELECT last_error AS "lastError" FROM letters WHERE target_id = ? AND status IN ('failed', 'queued', 'held') AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1`,
        [targetId],
      ) ?? null,
    /** The latest reason a target's letters bounced (the status and diagnostic of the report). */
    lastBounceOf: async (targetId: string) =>
      await sql.value<string>(
        `SELECT last_error AS "lastError" FROM letters WHERE target_id = ? AND status = 'bounced' AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1`,
        [targetId],
      ) ?? null,
    /**
     * The delivered letters a mail with Message-ID `<key@…>` carried: the letter `key` sent on its own,
     * or the letters of the digest mail `key`. Only letters still `sent`.
     */
    sentInMessage: async (key: string) =>
      await sql.all<LetterState>(
        `SELECT l.id, l.campaign_id AS "campaignId", l.target_id AS "targetId", l.status
         FROM outbox o JOIN letters l ON l.id = o.letter_id
         WHERE o.letter_id = ? AND o.kind = 'letter' AND o.status = 'sent' AND l.status = 'sent'
         UNION ALL
         SELECT l.id, l.campaign_id AS "campaignId", l.target_id AS "targetId", l.status
         FROM outbox o JOIN letters l ON l.id = o.letter_id
         WHERE o.digest_id = ? AND o.kind = 'digest' AND o.status = 'sent' AND l.status = 'sent'`,
        [key, key],
      ),
    /**
     * A target's bounced letters, each with whether it can go again: its text is still kept and
     * it went out in a mail of its own (a digest's members are not re-sent one by one).
     */
    bouncedOfTarget: async (targetId: string) =>
      await sql.all<LetterState & { resendable: number }>(
        `SELECT l.id, l.campaign_id AS "campaignId", l.target_id AS "targetId", l.status,
           CASE WHEN l.body IS NOT NULL AND l.subject IS NOT NULL
             AND EXISTS (SELECT 1 FROM outbox o WHERE o.letter_id = l.id AND o.kind = 'letter' AND o.status = 'sent') THEN 1 ELSE 0 END AS resendable
         FROM letters l WHERE l.target_id = ? AND l.status = 'bounced' ORDER BY l.id`,
        [targetId],
      ),
    /** Everything a supporter's letters hold (data subject access). */
    ofSupporter: async (supporterId: string) =>
      await sql.all<Record<string, unknown>>(
        `SELECT l.id, l.status, l.created_at AS "createdAt", l.sent_at AS "sentAt", l.signer_name AS name, l.signer_city AS city,
           l.signer_country AS country, l.note, l.subject, l.body, t.name AS "targetName", t.title AS "targetTitle"
         FROM letters l JOIN targets t ON t.id = l.target_id WHERE l.supporter_id = ? ORDER BY l.id`,
        [supporterId],
      ),
    /** A supporter's letters in one of `statuses`. */
    ofSupporterIn: async (supporterId: string, statuses: readonly LetterStatus[]) =>
      await sql.all<Pick<Letter, 'id' | 'targetId' | 'status'>>(
        `SELECT id, target_id AS "targetId", status FROM letters WHERE supporter_id = ? AND status IN (${statuses.map(() => '?').join(',')})`,
        [supporterId, ...statuses],
      ),
    /** Removes the signer's words and name from every letter of a supporter (erasure). */
    scrubOfSupporter: async (supporterId: string, at: string) =>
      { await sql.run(
        'UPDATE letters SET signer_name = NULL, signer_city = NULL, note = NULL, subject = NULL, body = NULL, scrubbed_at = coalesce(scrubbed_at, ?) WHERE supporter_id = ?',
        [at, supporterId],
      ); },
    /** Removes the signer's words and name from the letters of one submission (retention of unconfirmed ones). */
    scrubOfSubmission: async (submissionId: string, at: string) =>
      { await sql.run(
        'UPDATE letters SET signer_name = NULL, signer_city = NULL, note = NULL, subject = NULL, body = NULL, scrubbed_at = coalesce(scrubbed_at, ?) WHERE submission_id = ?',
        [at, submissionId],
      ); },
    /** Scrubs the text of letters sent before `before` (retention; bounced ones were sent too); returns how many. */
    scrubDelivered: async (before: string, at: string) =>
      (await sql.run(
        `UPDATE letters SET subject = NULL, body = NULL, note = NULL, scrubbed_at = ? WHERE status IN ('sent', 'bounced') AND sent_at < ? AND body IS NOT NULL`,
        [at, before],
      )).changes,
  };
}
