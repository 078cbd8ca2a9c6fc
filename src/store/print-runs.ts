import type { letters, printRuns, targets } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';

type Letter = typeof letters.$inferSelect;
type Target = typeof targets.$inferSelect;

/** A recorded print run: the letters it holds were fixed when it was made. */
export type PrintRun = Pick<typeof printRuns.$inferSelect, 'id' | 'campaignId' | 'status' | 'name' | 'letters' | 'createdAt' | 'mailedAt'>;

/** A letter of a run as it is printed, with its target's address. */
export type PrintedLetter = Pick<Letter, 'id' | 'signerName' | 'signerCity' | 'signerCountry' | 'confirmedAt' | 'locale' | 'createdAt'> &
  Pick<Target, 'organization'> & {
    /** Never null: erasure clears subject and body together, and letters without a body are not printed. */
    subject: string;
    body: string;
    targetName: Target['name'];
    targetTitle: Target['title'];
    /** PostalAddress as JSON text. */
    postalAddress: string | null;
  };

/** A queued letter, as marking it mailed moves it. */
export type QueuedLetter = Pick<Letter, 'id' | 'targetId'>;

const runColumns = 'id, campaign_id AS "campaignId", status, name, letters, created_at AS "createdAt", mailed_at AS "mailedAt"';

/** Postal print runs and the letters each one holds. */
export function createPrintRunRepo(sql: AsyncSql) {
  return {
    /** A run of no letters yet; `status` filters the letters it will hold (null: every letter). */
    async insert(id: string, campaignId: string, status: PrintRun['status'], name: string, at: string): Promise<void> {
      await sql.run('INSERT INTO print_runs (id, campaign_id, status, name, letters, created_at) VALUES (@id, @campaignId, @status, @name, 0, @at)', { id, campaignId, status, name, at });
    },
    /** How many runs the campaign has had: the next one's default name counts on from it. */
    async countOf(campaignId: string): Promise<number> {
      return Number((await sql.value<number | string>('SELECT count(*) FROM print_runs WHERE campaign_id = ?', [campaignId])) ?? 0);
    },
    /**
     * Records in the run every printable letter of the campaign (with `status`, if given) that is
     * in no open run (one not yet marked mailed), so no letter is printed twice; returns how many.
     */
    async recordLetters(id: string, campaignId: string, status: PrintRun['status']): Promise<number> {
      // Erased letters have no text left to print; unconfirmed ones are not letters yet.
      return (await sql.run(
        `INSERT INTO print_run_letters (print_run_id, letter_id)
         SELECT @id, l.id FROM letters l
         WHERE l.campaign_id = @campaignId AND l.status != 'pending_confirmation' AND (CAST(@status AS TEXT) IS NULL OR l.status = @status) AND l.body IS NOT NULL
           AND NOT EXISTS (
             SELECT 1 FROM print_run_letters o JOIN print_runs p ON p.id = o.print_run_id
             WHERE o.letter_id = l.id AND p.mailed_at IS NULL AND p.id != @id
           )`,
        { id, campaignId, status },
      )).changes;
    },
    async setCount(id: string, letters: number): Promise<void> {
      await sql.run('UPDATE print_runs SET letters = ? WHERE id = ?', [letters, id]);
    },
    async get(id: string, campaignId: string): Promise<PrintRun | undefined> {
      return await sql.get(`SELECT ${runColumns} FROM print_runs WHERE id = ? AND campaign_id = ?`, [id, campaignId]);
    },
    /** The campaign's latest `limit` runs, newest first. */
    async recent(campaignId: string, limit: number): Promise<PrintRun[]> {
      return await sql.all(`SELECT ${runColumns} FROM print_runs WHERE campaign_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, [campaignId, limit]);
    },
    /** How many of the run's letters are still queued (not yet marked mailed). */
    async queuedCount(runId: string): Promise<number> {
      return (await sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM print_run_letters r JOIN letters l ON l.id = r.letter_id WHERE r.print_run_id = ? AND l.status = 'queued'`,
        [runId],
      ))!.n;
    },
    /** The next 200 letters of the run after `cursor` (a letter id) that still have their text, in id order. */
    async page(runId: string, cursor: string): Promise<PrintedLetter[]> {
      return await sql.all(
        `SELECT l.id, l.subject, l.body, l.signer_name AS "signerName", l.signer_city AS "signerCity", l.signer_country AS "signerCountry",
           l.confirmed_at AS "confirmedAt", l.locale, l.created_at AS "createdAt", t.name AS "targetName", t.title AS "targetTitle", t.organization, t.postal_address AS "postalAddress"
         FROM print_run_letters r JOIN letters l ON l.id = r.letter_id JOIN targets t ON t.id = l.target_id
         WHERE r.print_run_id = @runId AND l.id > @cursor AND l.body IS NOT NULL
         ORDER BY l.id LIMIT 200`,
        { runId, cursor },
      );
    },
    /** The campaign's letter `id`, if it is queued. */
    async queuedLetter(id: string, campaignId: string): Promise<QueuedLetter | undefined> {
      return await sql.get(`SELECT id, target_id AS "targetId" FROM letters WHERE id = ? AND campaign_id = ? AND status = 'queued'`, [id, campaignId]);
    },
    /** The run's letters still queued. */
    async queuedLetters(runId: string): Promise<QueuedLetter[]> {
      return await sql.all(
        `SELECT l.id, l.target_id AS "targetId" FROM print_run_letters r JOIN letters l ON l.id = r.letter_id WHERE r.print_run_id = ? AND l.status = 'queued'`,
        [runId],
      );
    },
    /** The run was mailed at `at`, unless it already was. */
    async markMailed(runId: string, at: string): Promise<void> {
      await sql.run('UPDATE print_runs SET mailed_at = coalesce(mailed_at, ?) WHERE id = ?', [at, runId]);
    },
  };
}
