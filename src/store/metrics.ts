import type { outbox } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';

export interface OutboxBacklog {
  /** Outbox rows waiting to be sent (letters and supporter mail; due now or later). */
  queued: number;
  /** When the longest-waiting of them was written; null when none waits. */
  oldestQueuedAt: (typeof outbox.$inferSelect)['createdAt'] | null;
}

/**
 * The outbox's backlog, read when /metrics is scraped. It walks the queued rows (the
 * `outbox_due` index finds them, but holds no created_at): cheap while delivery keeps up, and a
 * backlog large enough to make it slow is what the gauges are there to show.
 */
export async function outboxBacklog(sql: AsyncSql): Promise<OutboxBacklog> {
  return (await sql.get<OutboxBacklog>(`SELECT count(*) AS queued, min(created_at) AS "oldestQueuedAt" FROM outbox WHERE status = 'queued'`))!;
}
