import { coalesce } from './coalesce.js';
import type { AsyncSql } from './engine/async-sql.js';

/**
 * Request counts in fixed windows, per key: a limit shared by every instance on the database.
 *
 * On PostgreSQL the table is UNLOGGED (migration 0006): a hit writes no WAL, so its commit waits
 * for no disk flush, and a PostgreSQL crash empties the table (a client may then make a few more
 * requests). It runs through `all`, which announces no commit to other instances: no cache
 * holds these rows, and a NOTIFY per limited request would make every instance's caches read through.
 */
export function createRateLimitRepo(sql: AsyncSql) {
  /**
   * Hits arriving while one statement is in flight go out together (coalesce): one multi-row
   * upsert of each key's hits, which answers each caller its own place in the window.
   */
  const hit = coalesce(async (hits: { key: string; at: string; resets: string }[]) => {
    const byKey = new Map<string, { n: number; at: string; resets: string }>();
    for (const h of hits) {
      const k = byKey.get(h.key);
      if (k) k.n += 1;
      else byKey.set(h.key, { n: 1, at: h.at, resets: h.resets });
    }
    const keys = [...byKey];
    const rows = await sql.all<{ key: string; hits: number; resetsAt: string }>(
      `INSERT INTO rate_limits (key, hits, resets_at) VALUES ${keys.map(() => '(?, ?, ?)').join(', ')}
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN rate_limits.resets_at <= ? THEN excluded.hits ELSE rate_limits.hits + excluded.hits END,
         resets_at = CASE WHEN rate_limits.resets_at <= ? THEN excluded.resets_at ELSE rate_limits.resets_at END
       RETURNING key, hits, resets_at AS "resetsAt"`,
      [...keys.flatMap(([key, k]) => [key, k.n, k.resets]), hits[0]!.at, hits[0]!.at],
    );
    // Each key's callers take its last n hits, in the order they asked.
    const after = new Map(rows.map((r) => [r.key, { hits: Number(r.hits), resetsAt: r.resetsAt }]));
    const taken = new Map<string, number>();
    return hits.map((h) => {
      const row = after.get(h.key)!;
      const i = taken.get(h.key) ?? 0;
      taken.set(h.key, i + 1);
      return { hits: row.hits - byKey.get(h.key)!.n + 1 + i, resetsAt: row.resetsAt };
    });
  });
  return {
    /** Counts one hit for `key` in its window (a new one of `windowMs` when the last has ended); returns the hits so far and when the window ends. */
    hit: (key: string, now: Date, windowMs: number): Promise<{ hits: number; resetsAt: string }> =>
      hit({ key, at: now.toISOString(), resets: new Date(now.getTime() + windowMs).toISOString() }),
    /** The hits of `key`'s window, if one is still open at `now`; counts nothing. */
    peek: async (key: string, now: Date) => {
      const row = await sql.get<{ hits: number; resetsAt: string }>('SELECT hits, resets_at AS "resetsAt" FROM rate_limits WHERE key = ? AND resets_at > ?', [key, now.toISOString()]);
      return row && { hits: Number(row.hits), resetsAt: row.resetsAt };
    },
    /** Forgets windows that ended before `before`; returns how many. */
    async sweep(before: string): Promise<number> {
      return (await sql.run('DELETE FROM rate_limits WHERE resets_at < ?', [before])).changes;
    },
  };
}

/** Periodic jobs: which instance runs this period's turn. */
export function createJobRunRepo(sql: AsyncSql) {
  return {
    /**
     * Takes the turn of job `name` at `now` unless some instance started it after `due`
     * (one period ago); true when this caller has it. A compare-and-set on one row, so of
     * several instances asking at once exactly one gets each period.
     */
    take: async (name: string, now: string, due: string) =>
      (
        await sql.run(
          `INSERT INTO job_runs (name, started_at) VALUES (@name, @now)
           ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at WHERE job_runs.started_at <= @due`,
          { name, now, due },
        )
      ).changes === 1,
  };
}

/** A campaign's figures as last published: one row per campaign, the same for every instance. */
export type PublishedRow = { publishedAt: string; figures: string };

/** Published figures of `confirmation: none` campaigns (see domain/actions.ts `figures`). */
export function createPublishedCountRepo(sql: AsyncSql) {
  const get = (campaignId: string) => sql.get<PublishedRow>('SELECT published_at AS "publishedAt", figures FROM published_counts WHERE campaign_id = ?', [campaignId]);
  return {
    get,
    /**
     * Publishes `figures` at `at` unless some instance published after `due`; returns the row
     * that stands, this one or the other instance's. Of several publishing at once, one wins.
     */
    async publish(campaignId: string, at: string, figures: string, due: string): Promise<PublishedRow> {
      const won = await sql.get<PublishedRow>(
        `INSERT INTO published_counts (campaign_id, published_at, figures) VALUES (@campaignId, @at, @figures)
         ON CONFLICT (campaign_id) DO UPDATE SET published_at = excluded.published_at, figures = excluded.figures
           WHERE published_counts.published_at <= @due
         RETURNING published_at AS "publishedAt", figures`,
        { campaignId, at, figures, due },
      );
      return won ?? (await get(campaignId))!;
    },
  };
}
