import type { Params } from '../sql.js';

export type { Params };

/**
 * The executor every repository will run on, on either engine: SQL text with `?` (positional)
 * or `@name` (named) placeholders, as the synchronous Sql takes today, and rows typed by the
 * caller from the table definitions.
 *
 * Transactions follow the async context (AsyncLocalStorage): a statement belongs to the
 * transaction whose body it was issued from, however deep the call, and to none otherwise.
 * `transaction` inside a transaction and `savepoint` are the same thing at different depths:
 * fn's writes stand or fall together. Savepoints of one transaction nest; a statement issued
 * beside an open savepoint rather than inside it, or after its transaction ended (a promise
 * the body did not await), is refused rather than run somewhere it was not meant to.
 *
 * One difference the engines keep: a statement that fails inside a transaction is undone alone
 * on SQLite, while PostgreSQL aborts the whole transaction (every later statement fails, and
 * `transaction` rejects). Code that catches a statement's error and goes on must do so around a
 * `savepoint`, which works the same on both.
 */
export interface AsyncSql {
  readonly dialect: 'sqlite' | 'postgres';
  all<T>(text: string, params?: Params): Promise<T[]>;
  /** `beforeHeld`: read the database as it is, without first sending the transaction's held inserts (the caller looks at `heldRows` for those). */
  get<T>(text: string, params?: Params, options?: { beforeHeld?: boolean }): Promise<T | undefined>;
  /** The first column of the first row. */
  value<T>(text: string, params?: Params): Promise<T | undefined>;
  run(text: string, params?: Params): Promise<{ changes: number }>;
  /** Several statements without parameters (schema changes, pragmas). Its rows are not counted by changes(). */
  exec(text: string): Promise<void>;
  /**
   * One write transaction: every statement issued inside fn (in its async context) runs in it;
   * commits when fn resolves, rolls back when it throws. `holdInserts` lets `hold` keep inserts
   * back (group commit): a failure to send them is a HeldInsertError from a later statement or
   * from the commit, which then rolls the whole transaction back.
   */
  transaction<T>(fn: () => Promise<T>, options?: { holdInserts?: boolean }): Promise<T>;
  /**
   * An `INSERT … VALUES (?, …)` (positional parameters, nothing after the tuple) that, in a
   * transaction holding inserts and outside any savepoint, is held and sent with the others of
   * its text as one multi-row INSERT just before the transaction's next statement or its commit;
   * elsewhere it runs at once. Held texts go out in `rank` order: give a row a higher rank than
   * the tables it references. It counts in changes() when held.
   */
  hold(text: string, params: unknown[], rank: number): Promise<void>;
  /** The parameters of rows held with exactly this text in the current transaction, not yet sent. */
  heldRows(text: string): unknown[][];
  /** Whether `hold` would hold an insert here: inside a transaction begun with holdInserts, outside any savepoint. */
  holding(): boolean;
  /** A savepoint inside the current transaction: fn's writes are undone if it throws, the transaction goes on. Outside any transaction, a transaction. */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Rows changed by `run` in the current transaction so far, less those a savepoint rollback
   * undid; 0 outside a transaction. What lets a batch tell a write that failed before changing
   * anything (drop it, commit the others) from one that failed half-way (roll back).
   */
  changes(): number;
  /** Runs fn once the current transaction has committed (never if it rolls back); outside a transaction, right away. */
  afterCommit(fn: () => void): void;
  /** Lets what has started finish, then closes the connection (or ends the pool); later statements reject. */
  close(): Promise<void>;
}
