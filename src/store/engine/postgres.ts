import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AsyncSql, Params } from './async-sql.js';
import { bindValues, numberPlaceholders, type Numbered } from './placeholders.js';
import { createScopes, type Frame, type Tx } from './scope.js';

interface Prepared extends Numbered {
  /** pg's statement name: the client parses a named statement once per connection and reuses it. */
  name: string;
}

/**
 * AsyncSql over a pg pool. A statement outside any transaction goes to the pool; a transaction
 * takes one client for BEGIN … COMMIT and every statement issued in its async context goes to
 * that client. Several transactions run at once on several clients, with PostgreSQL's own
 * isolation (READ COMMITTED): a statement outside sees only what has committed.
 *
 * Every text is translated to `$n` placeholders once and run as a named prepared statement,
 * parsed once per connection. The name is a hash of the text, so executors sharing a pool
 * agree on it. (A prepared `SELECT *` must be re-run after its table changes shape: PostgreSQL
 * refuses a cached plan whose result type changed; schema changes happen at start, before.)
 *
 * The executor owns the pool: close() ends it.
 *
 * `onWrite`, when given, runs as the last statement of every transaction that changed rows (and
 * after an autocommit statement that did): where other instances learn of the commit, through a
 * NOTIFY that PostgreSQL delivers only if, and once, the transaction commits.
 */
export function createPgAsyncSql(pool: pg.Pool, options: { onWrite?: { text: string; values: unknown[] } } = {}): AsyncSql {
  const scopes = createScopes<pg.PoolClient>();
  const cache = new Map<string, Prepared>();

  function prepared(text: string): Prepared {
    let p = cache.get(text);
    if (!p) {
      const numbered = numberPlaceholders(text);
      const name = `chorus_${createHash('sha256').update(numbered.text).digest('base64url').slice(0, 24)}`;
      cache.set(text, (p = { ...numbered, name }));
    }
    return p;
  }

  /** The open transaction's client, or the pool outside any transaction. */
  function target(): { tx?: Tx<pg.PoolClient>; on: pg.Pool | pg.PoolClient } {
    const frame = scopes.current();
    return frame ? { tx: frame.tx, on: frame.tx.conn } : { on: pool };
  }

  /** Sends the transaction's held inserts, before the statement that follows them. */
  async function sendHeld(tx: Tx<pg.PoolClient>): Promise<void> {
    for (const s of scopes.takeHeld(tx)) {
      const p = prepared(s.text);
      try {
        await tx.conn.query({ name: p.name, text: p.text, values: bindValues(p, s.params) });
      } catch (err) {
        throw scopes.heldFailed(tx, err);
      }
    }
  }

  async function query<R extends pg.QueryResultRow>(text: string, params: Params | undefined, beforeHeld = false) {
    const p = prepared(text);
    const { tx, on } = target();
    if (tx && !beforeHeld) await sendHeld(tx);
    const result = await on.query<R>({ name: p.name, text: p.text, values: bindValues(p, params) });
    return { result, tx };
  }

  const inSavepoint = <T>(frame: Frame<pg.PoolClient>, fn: () => Promise<T>) =>
    scopes.savepoint(frame, (text) => frame.tx.conn.query(text), fn, () => sendHeld(frame.tx));

  async function transaction<T>(fn: () => Promise<T>, txOptions?: { holdInserts?: boolean }): Promise<T> {
    const frame = scopes.current();
    if (frame) return inSavepoint(frame, fn);
    const client = await pool.connect();
    // Set when the connection broke or BEGIN, COMMIT or ROLLBACK failed, so it may be gone or
    // still inside the transaction: the pool then destroys the client (and PostgreSQL rolls back
    // whatever the closed session held) instead of handing it to the next caller.
    let broken: Error | undefined;
    // pg reports a connection lost while a client is checked out (a server restart, an
    // administrator's pg_terminate_backend) as an 'error' event, which with no listener ends the
    // process; the statements waiting on the client fail on their own.
    const lost = (err: Error) => (broken = err);
    client.on('error', lost);
    const control = async (query: string | { text: string; values: unknown[] }) => {
      try {
        return await client.query(query);
      } catch (err) {
        broken = err as Error;
        throw err;
      }
    };
    try {
      await control('BEGIN');
      const tx = scopes.begin(client, txOptions);
      let result: T;
      try {
        result = await scopes.within(tx, fn);
        await sendHeld(tx);
      } catch (err) {
        tx.open = false;
        // A failed ROLLBACK is settled by destroying the client; fn's error is the one to report.
        await control('ROLLBACK').catch(() => {});
        throw err;
      }
      if (tx.changes > 0 && options.onWrite) await control(options.onWrite);
      tx.open = false;
      const committed = await control('COMMIT');
      // COMMIT of a transaction that an earlier error aborted succeeds with the tag ROLLBACK:
      // the body caught a statement's error and went on. Nothing was written; say so.
      if (committed.command === 'ROLLBACK') {
        throw new Error('the transaction was rolled back: a statement in it failed and its error was caught; catch statement errors around a savepoint');
      }
      scopes.runCommitted(tx);
      return result;
    } finally {
      // A broken client is destroyed, but its socket may still report the break after this
      // (a terminated backend): the listener stays, so that late 'error' cannot end the process.
      if (!broken) client.off('error', lost);
      client.release(broken);
    }
  }

  async function run(text: string, params?: Params) {
    const { result, tx } = await query(text, params);
    const changes = result.rowCount ?? 0;
    if (tx) tx.changes += changes;
    else if (changes > 0 && options.onWrite) await pool.query(options.onWrite.text, options.onWrite.values);
    return { changes };
  }

  let ended: Promise<void> | undefined;
  return {
    dialect: 'postgres',
    all: async <T>(text: string, params?: Params) => (await query(text, params)).result.rows as T[],
    get: async <T>(text: string, params?: Params, options?: { beforeHeld?: boolean }) => (await query(text, params, options?.beforeHeld)).result.rows[0] as T | undefined,
    value: async <T>(text: string, params?: Params) => {
      const p = prepared(text);
      const { tx, on } = target();
      if (tx) await sendHeld(tx);
      // rowMode array: the first column by position, whatever its name (or a duplicate name).
      const { rows } = await on.query<unknown[]>({ name: p.name, text: p.text, values: bindValues(p, params), rowMode: 'array' });
      return rows[0]?.[0] as T | undefined;
    },
    run,
    exec: async (text: string) => {
      const { tx, on } = target();
      if (tx) await sendHeld(tx);
      // Unnamed and without values: pg sends it as a simple query, which may hold several statements.
      await on.query(text);
    },
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
    close: () => (ended ??= pool.end()),
  };
}
