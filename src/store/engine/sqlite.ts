import type Database from 'better-sqlite3';
import { createSqliteSql, type Params } from '../sql.js';
import type { AsyncSql } from './async-sql.js';
import { createScopes, type Frame, type Tx } from './scope.js';
import { createTurns } from './turns.js';

/**
 * AsyncSql over one better-sqlite3 connection, running the synchronous executor (its
 * statement cache and pluck handling) underneath.
 *
 * One connection holds at most one transaction, so transactions take turns in a FIFO queue,
 * and a statement from outside the open transaction never runs on the connection while that
 * transaction is open (it would silently join it: a write outside would be rolled back with
 * it, a read outside would see writes that may never commit). Such a statement waits its turn
 * and then runs on its own in autocommit, which is a transaction of one statement; when no
 * transaction is open or waiting it runs at once. Reads wait too: then a read outside a
 * transaction sees only committed data, as on PostgreSQL, and the wait is short because a
 * body that awaits only this executor never yields to the event loop (below). When nothing is
 * open, the check costs one boolean; bench/engine.ts measures the whole path.
 *
 * Every statement runs synchronously in the call and returns a settled promise, so a body
 * that awaits only this executor runs from BEGIN IMMEDIATE to COMMIT in microtasks of one
 * macrotask: timers, I/O and other requests' callbacks cannot run in between, and the write
 * lock is held no longer than the body's own work. A body that awaits anything else (a timer,
 * the network) holds the lock, and keeps every other writer and reader of this connection
 * waiting, for as long as that takes: render first, then write (DESIGN.md, rule 7).
 */
export function createSqliteAsyncSql(client: Database.Database): AsyncSql {
  const sync = createSqliteSql(client);
  const scopes = createScopes<Database.Database>();
  const turns = createTurns();
  let closing = false;

  /** Sends the transaction's held inserts, before the statement that follows them. */
  function sendHeld(tx: Tx<Database.Database>): void {
    for (const s of scopes.takeHeld(tx)) {
      try {
        sync.run(s.text, s.params);
      } catch (err) {
        throw scopes.heldFailed(tx, err);
      }
    }
  }

  /** Runs a statement at once inside the open transaction or when the connection is free, else after its turn. */
  async function statement<T>(work: (frame: Frame<Database.Database> | undefined) => T, beforeHeld = false): Promise<T> {
    const frame = scopes.current();
    if (frame) {
      if (!beforeHeld) sendHeld(frame.tx);
      return work(frame);
    }
    if (closing) throw new Error('the database is closed');
    if (!turns.held) return work(undefined);
    await turns.acquire();
    try {
      return work(undefined);
    } finally {
      turns.release();
    }
  }

  const inSavepoint = <T>(frame: Frame<Database.Database>, fn: () => Promise<T>) =>
    scopes.savepoint(frame, (text) => client.exec(text), fn, () => sendHeld(frame.tx));

  async function transaction<T>(fn: () => Promise<T>, options?: { holdInserts?: boolean }): Promise<T> {
    const frame = scopes.current();
    if (frame) return inSavepoint(frame, fn);
    if (closing) throw new Error('the database is closed');
    await turns.acquire();
    try {
      // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading read locks.
      client.exec('BEGIN IMMEDIATE');
      const tx = scopes.begin(client, options);
      let result: T;
      try {
        result = await scopes.within(tx, fn);
        sendHeld(tx);
      } catch (err) {
        tx.open = false;
        rollback();
        throw err;
      }
      tx.open = false;
      try {
        client.exec('COMMIT');
      } catch (err) {
        // A COMMIT refused by a deferred constraint (or a full disk) leaves the transaction
        // open, and this connection is everyone's: end it before the next turn.
        rollback();
        throw err;
      }
      scopes.runCommitted(tx);
      return result;
    } finally {
      turns.release();
    }
  }

  /** SQLite may already have rolled back on its own (SQLITE_FULL, IOERR); ROLLBACK would then fail. */
  function rollback(): void {
    if (client.inTransaction) client.exec('ROLLBACK');
  }

  const run = (text: string, params?: Params) =>
    statement((frame) => {
      const result = sync.run(text, params);
      if (frame) frame.tx.changes += result.changes;
      return result;
    });

  let closed: Promise<void> | undefined;
  return {
    dialect: 'sqlite',
    all: <T>(text: string, params?: Params) => statement(() => sync.all<T>(text, params)),
    get: <T>(text: string, params?: Params, options?: { beforeHeld?: boolean }) => statement(() => sync.get<T>(text, params), options?.beforeHeld),
    value: <T>(text: string, params?: Params) => statement(() => sync.value<T>(text, params)),
    run,
    exec: (text: string) => statement(() => sync.exec(text)),
    hold: async (text: string, params: unknown[], rank: number) => {
      if (!scopes.hold({ text, params, rank })) await run(text, params);
    },
    heldRows: scopes.heldRows,
    holding: scopes.holding,
    transaction,
    savepoint: async (fn) => {
      const frame = scopes.current();
      return frame ? inSavepoint(frame, fn) : transaction(fn);
    },
    changes: () => scopes.current()?.tx.changes ?? 0,
    afterCommit: scopes.afterCommit,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        // Waits behind every transaction and statement already queued; later ones are refused.
        await turns.acquire();
        client.close();
      })()),
  };
}
