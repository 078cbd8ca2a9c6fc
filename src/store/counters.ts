import type { counters } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';

type Counter = typeof counters.$inferSelect;
export type CounterRow = Pick<Counter, 'name' | 'value' | 'updatedAt'>;

/** Counter rows, read and written by primary key: the same cost at any campaign size. */
export function createCounterRepo(sql: AsyncSql) {
  return {
    /** Adds `delta` to a counter, creating it at `delta`. */
    async add(campaignId: string, name: string, delta: number, at: string): Promise<void> {
      await sql.run(
        `INSERT INTO counters (campaign_id, name, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (campaign_id, name) DO UPDATE SET value = counters.value + excluded.value, updated_at = excluded.updated_at`,
        [campaignId, name, delta, at],
      );
    },
    /** Adds one to a counter (creating it at 1) and answers the new value: one statement, so concurrent writers each get their own. */
    async increment(campaignId: string, name: string, at: string): Promise<number> {
      const row = await sql.get<{ value: number | string }>(
        `INSERT INTO counters (campaign_id, name, value, updated_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (campaign_id, name) DO UPDATE SET value = counters.value + 1, updated_at = excluded.updated_at RETURNING value`,
        [campaignId, name, at],
      );
      return Number(row!.value);
    },
    /** Sets counters to exact values (recount's repair). */
    async set(campaignId: string, name: string, value: number, at: string): Promise<void> {
      await sql.run(
        `INSERT INTO counters (campaign_id, name, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (campaign_id, name) DO UPDATE SET value = excluded.value`,
        [campaignId, name, value, at],
      );
    },
    async get(campaignId: string, name: string): Promise<Pick<Counter, 'value' | 'updatedAt'> | undefined> {
      return await sql.get('SELECT value, updated_at AS "updatedAt" FROM counters WHERE campaign_id = ? AND name = ?', [campaignId, name]);
    },
    /** Every counter whose name starts with `prefix`, full names. */
    async byPrefix(campaignId: string, prefix: string): Promise<CounterRow[]> {
      return await sql.all(
        `SELECT name, value, updated_at AS "updatedAt" FROM counters WHERE campaign_id = ? AND name >= ? AND name < ?`,
        [campaignId, prefix, `${prefix}~`],
      );
    },
    /** The counters of the public count: online supporters, letters and deliveries, and what was counted offline. */
    async publicCount(campaignId: string): Promise<CounterRow[]> {
      return await sql.all(
        `SELECT name, value, updated_at AS "updatedAt" FROM counters WHERE campaign_id = ?
           AND name IN ('supporters', 'letters', 'letters.sent', 'offline.supporters', 'offline.letters')`,
        [campaignId],
      );
    },
    /** What every counter should be, computed from the rows it counts (recount); names as in counterNames. */
    async fromRows(): Promise<{ campaignId: string; name: string; value: number }[]> {
      const q = (text: string) => sql.all<{ campaignId: string; name: string; value: number }>(text);
      const parts = await Promise.all([
        q(`SELECT campaign_id AS "campaignId", 'supporters' AS name, count(*) AS value FROM supporters WHERE counted_at IS NOT NULL GROUP BY 1`),
        // An erased supporter who was never counted can never be: no longer pending.
        q(`SELECT campaign_id AS "campaignId", 'pending' AS name, count(*) AS value FROM supporters WHERE counted_at IS NULL AND erased_at IS NULL GROUP BY 1`),
        q(`SELECT campaign_id AS "campaignId", 'letters' AS name, count(*) AS value FROM letters WHERE confirmed_at IS NOT NULL GROUP BY 1`),
        q(`SELECT campaign_id AS "campaignId", 'letters.' || status AS name, count(*) AS value FROM letters GROUP BY 1, 2`),
        q(`SELECT campaign_id AS "campaignId", 'target.' || target_id || '.' || status AS name, count(*) AS value FROM letters GROUP BY 1, 2`),
        q(`SELECT campaign_id AS "campaignId", 'country.' || country AS name, count(*) AS value FROM supporters WHERE counted_at IS NOT NULL GROUP BY 1, 2`),
        q(
          `SELECT campaign_id AS "campaignId", 'hour.' || substr(counted_at, 1, 13) AS name, count(*) AS value FROM supporters WHERE counted_at IS NOT NULL GROUP BY 1, 2`,
        ),
        q(
          `SELECT campaign_id AS "campaignId", CASE WHEN originality >= 0.2 THEN 'personalization.personalized' ELSE 'personalization.formLetters' END AS name,
             count(*) AS value FROM letters WHERE originality IS NOT NULL GROUP BY 1, 2`,
        ),
        q(`SELECT campaign_id AS "campaignId", 'offline.supporters' AS name, sum(supporters) AS value FROM offline_counts GROUP BY 1`),
        q(`SELECT campaign_id AS "campaignId", 'offline.letters' AS name, sum(letters) AS value FROM offline_counts GROUP BY 1`),
      ]);
      return parts.flat();
    },
    /** Every counter of every campaign (recount). */
    async all(): Promise<(CounterRow & { campaignId: string })[]> {
      return await sql.all('SELECT campaign_id AS "campaignId", name, value, updated_at AS "updatedAt" FROM counters');
    },
  };
}
