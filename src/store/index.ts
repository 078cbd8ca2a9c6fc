import type Database from 'better-sqlite3';
import { isMigrated, probeWritable, writeTx, type Db } from '../db/client.js';
import { createCampaignRepo } from './campaigns.js';
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
import { createSqliteSql } from './sql.js';
import { createMailCapRepo, createSubmissionRepo, createSupporterRepo } from './supporters.js';
import { createTargetRepo } from './targets.js';
import { createTemplateRepo } from './templates.js';

/**
 * The storage layer: the only place SQL is written. One repository per table group, each a
 * factory over the executor (or drizzle's query builder) returning rows shaped from the table definitions.
 */
export function createStore(db: Db) {
  const sql = createSqliteSql(db.$client);
  return {
    sql,
    /** A write transaction that takes the write lock up front (BEGIN IMMEDIATE). */
    transaction: <T>(fn: () => T): T => writeTx(db, fn),
    /** Changes when any other connection or process commits: what in-memory caches are checked against. */
    dataVersion: dataVersionOf(db.$client),
    /** Ready when every migration is applied and the database takes a write. */
    ready(): 'ok' | 'not migrated' {
      if (!isMigrated(db)) return 'not migrated';
      probeWritable(db.$client);
      return 'ok';
    },
    /**
     * Copies the WAL into the database file and truncates it to nothing (erasure: the WAL still
     * holds the erased rows' old pages). False when a reader elsewhere kept it from finishing.
     */
    checkpoint: () => sql.get<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)')?.busy === 0,
    /** Rows this connection has changed since it opened: with dataVersion, whether anything changed at all. */
    totalChanges: () => sql.value<number>('SELECT total_changes()')!,
    campaigns: createCampaignRepo(db, sql),
    targets: createTargetRepo(db),
    templates: createTemplateRepo(db),
    supporters: createSupporterRepo(sql),
    submissions: createSubmissionRepo(sql),
    letters: createLetterRepo(sql),
    mailCaps: createMailCapRepo(sql),
    counters: createCounterRepo(sql),
    offlineCounts: createOfflineCountRepo(sql),
    responses: createResponseRepo(sql),
    keys: createKeyRepo(db),
    sessions: createSessionRepo(db),
    settings: createSettingRepo(db),
    idempotency: createIdempotencyRepo(db),
    outbox: createOutboxRepo(sql),
    digests: createDigestRepo(sql),
    pausedDomains: createPausedDomainRepo(sql),
    printRuns: createPrintRunRepo(sql),
  };
}

export type Store = ReturnType<typeof createStore>;

const probes = new WeakMap<Database.Database, () => unknown>();

/**
 * SQLite's data_version, read at most once per synchronous stretch of work: the reads a
 * request makes before it next awaits share one look (about 2 µs each), as if made at once.
 * One probe per connection, shared by every store built on it.
 */
function dataVersionOf(client: Database.Database): () => unknown {
  let probe = probes.get(client);
  if (!probe) {
    const statement = client.prepare('PRAGMA data_version').pluck();
    let value: unknown;
    let fresh = false;
    probe = () => {
      if (!fresh) {
        value = statement.get();
        fresh = true;
        queueMicrotask(() => (fresh = false));
      }
      return value;
    };
    probes.set(client, probe);
  }
  return probe;
}
