import type { AsyncSql } from './engine/async-sql.js';
import { createCampaignRepo } from './campaigns.js';
import { createJobRunRepo, createPublishedCountRepo, createRateLimitRepo } from './coordination.js';
import { createCounterRepo } from './counters.js';
import { createDigestRepo } from './digests.js';
import { createIdempotencyRepo } from './idempotency.js';
import { createKeyRepo, createSessionRepo, createSettingRepo } from './keys.js';
import { createLetterRepo } from './letters.js';
import { createOfflineCountRepo } from './offline-counts.js';
import { createOutboxRepo } from './outbox.js';
import { createPausedDomainRepo } from './paused-domains.js';
import { createPrintRunRepo } from './print-runs.js';
import { createResponseRepo } from './responses.js';
import { createMailCapRepo, createSubmissionRepo, createSupporterRepo } from './supporters.js';
import { createTargetRepo } from './targets.js';
import { createTemplateRepo } from './templates.js';
import { createWebhookRepo } from './webhooks.js';

/** What an engine (SQLite or PostgreSQL) gives the store beside its executor. */
export interface Engine {
  sql: AsyncSql;
  /** Changes when another connection, process or instance commits: what in-memory caches are checked against. Synchronous and cheap. */
  dataVersion(): unknown;
  /** Changes after every write this process commits; with dataVersion, whether anything changed at all. */
  commits(): number;
  /** Ready when every migration is applied and the database takes a write. */
  ready(): Promise<'ok' | 'not migrated'>;
  /** Leaves no copy of deleted rows in the engine's logs where it can (SQLite's WAL); false when a reader kept it from finishing. */
  checkpoint(): Promise<boolean>;
}

/**
 * The storage layer: the only place SQL is written. One repository per table group, each a
 * factory over the async executor, returning rows shaped from the table definitions; the same
 * SQL runs on both engines.
 */
export function createStore(engine: Engine) {
  const { sql } = engine;
  return {
    sql,
    /** One write transaction: every statement issued in fn's async context joins it (see AsyncSql). */
    transaction: <T>(fn: () => Promise<T>): Promise<T> => sql.transaction(fn),
    dataVersion: engine.dataVersion,
    commits: engine.commits,
    ready: engine.ready,
    checkpoint: engine.checkpoint,
    campaigns: createCampaignRepo(sql),
    targets: createTargetRepo(sql),
    templates: createTemplateRepo(sql),
    supporters: createSupporterRepo(sql),
    submissions: createSubmissionRepo(sql),
    letters: createLetterRepo(sql),
    mailCaps: createMailCapRepo(sql),
    counters: createCounterRepo(sql),
    offlineCounts: createOfflineCountRepo(sql),
    responses: createResponseRepo(sql),
    keys: createKeyRepo(sql),
    sessions: createSessionRepo(sql),
    settings: createSettingRepo(sql),
    idempotency: createIdempotencyRepo(sql),
    outbox: createOutboxRepo(sql),
    digests: createDigestRepo(sql),
    pausedDomains: createPausedDomainRepo(sql),
    printRuns: createPrintRunRepo(sql),
    rateLimits: createRateLimitRepo(sql),
    jobRuns: createJobRunRepo(sql),
    publishedCounts: createPublishedCountRepo(sql),
    webhooks: createWebhookRepo(sql),
  };
}

export type Store = ReturnType<typeof createStore>;
