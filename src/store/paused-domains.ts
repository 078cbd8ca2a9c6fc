import type { pausedDomains } from '../db/schema.js';
import type { Sql } from './sql.js';

type PausedDomain = typeof pausedDomains.$inferSelect;

export type Pause = Pick<PausedDomain, 'domain' | 'reason'> & {
  /** Never null: only paused domains are read. */
  pausedAt: string;
};

/** A domain's streak of consecutive temporary failures, and since when it is paused (if it is). */
export type FailureStreak = { n: PausedDomain['consecutiveFailures'] } & Pick<PausedDomain, 'pausedAt'>;

/** Recipient domains: their failure streaks, and the pauses those streaks started. */
export function createPausedDomainRepo(sql: Sql) {
  return {
    /** Ends the pauses that began at or before `pausedBefore`, with their streaks. */
    resumeExpired(pausedBefore: string): void {
      sql.run(
        'UPDATE paused_domains SET paused_at = NULL, consecutive_failures = 0, reason = NULL WHERE paused_at IS NOT NULL AND paused_at <= ?',
        [pausedBefore],
      );
    },
    paused(): Pause[] {
      return sql.all('SELECT domain, paused_at AS pausedAt, reason FROM paused_domains WHERE paused_at IS NOT NULL');
    },
    /** A delivered message ends its domain's streak. */
    clearStreak(domain: string): void {
      sql.run('UPDATE paused_domains SET consecutive_failures = 0 WHERE domain = ? AND consecutive_failures > 0', [domain]);
    },
    /** Adds a failure to the domain's streak; returns the streak. */
    countFailure(domain: string): FailureStreak {
      return sql.get<FailureStreak>(
        `INSERT INTO paused_domains (domain, consecutive_failures) VALUES (?, 1)
         ON CONFLICT (domain) DO UPDATE SET consecutive_failures = consecutive_failures + 1
         RETURNING consecutive_failures AS n, paused_at AS pausedAt`,
        [domain],
      )!;
    },
    pause(domain: string, at: string, reason: string): void {
      sql.run('UPDATE paused_domains SET paused_at = ?, reason = ? WHERE domain = ?', [at, reason, domain]);
    },
  };
}
