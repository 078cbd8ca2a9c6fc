import { writeTx, type Db } from '../db/client.js';
import { createCounterRepo } from './counters.js';
import { createDigestRepo } from './digests.js';
import { createOutboxRepo } from './outbox.js';
import { createPausedDomainRepo } from './paused-domains.js';
import { createPrintRunRepo } from './print-runs.js';
import { createSqliteSql } from './sql.js';

/**
 * The storage layer: the only place SQL is written. One repository per table group, each a
 * factory over the executor returning rows shaped from the table definitions.
 */
export function createStore(db: Db) {
  const sql = createSqliteSql(db.$client);
  return {
    sql,
    /** A write transaction that takes the write lock up front (BEGIN IMMEDIATE). */
    transaction: <T>(fn: () => T): T => writeTx(db, fn),
    counters: createCounterRepo(sql),
    outbox: createOutboxRepo(sql),
    digests: createDigestRepo(sql),
    pausedDomains: createPausedDomainRepo(sql),
    printRuns: createPrintRunRepo(sql),
  };
}

export type Store = ReturnType<typeof createStore>;
