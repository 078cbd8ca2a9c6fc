import type { pausedDomains } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';

type PausedDomain = typeof pausedDomains.$inferSelect;

export type Pause = Pick<PausedDomain, 'domain' | 'reason'> & {
  /** Never null: only paused domains are read. */
  pausedAt: string;
};

/** A domain's streak of consecutive temporary failures, and since when it is paused (if it is). */
export type FailureStreak = { n: PausedDomain['consecutiveFailures'] } & Pick<PausedDomain, 'pausedAt'>;

/** Recipient domains: their failure streaks, and the pauses those streaks started. */
export function createPausedDomainRepo(sql: AsyncSql) {
  return {
    /** Ends the pauses that began at or before `pausedBefore`, with their streaks. */
    async resumeExpired(pausedBefore: string): Promise<void> {
      await sql.run(
        'UPDATE paused_domains SET paused_at = NULL, consecutive_failures = 0, reason = NULL WHERE paused_at IS NOT NULL AND paused_at <= ?',
        [pausedBefore],
      );
    },
    async paused(): Promise<Pause[]> {
      return await sql.all('SELECT domain, paused_at AS "pausedAt", reason FROM paused_domains WHERE paused_at IS NOT NULL');
    },
    /** A delivered message ends its domain's streak. */
    async clearStreak(domain: string): Promise<void> {
      await sql.run('UPDATE paused_domains SET consecutive_failures = 0 WHERE domain = ? AND consecutive_failures > 0', [domain]);
    },
    /** Adds a failure to the domain's streak; returns the streak. */
    async countFailure(domain: string): Promise<FailureStreak> {
      return (await sql.get<FailureStreak>(
        `INSERT INTO paused_domains (domain, consecutive_failures) VALUES (?, 1)
         ON CONFLICT (domain) DO UPDATE SET consecutive_failures = paused_domains.consecutive_failures + 1
         RETURNING consecutive_failures AS n, paused_at AS "pausedAt"`,
        [domain],
      ))!;
    },
    async pause(domain: string, at: string, reason: string): Promise<void> {
      await sql.run('UPDATE paused_domains SET paused_at = ?, reason = ? WHERE domain = ?', [at, reason, domain]);
    },
  };
}
