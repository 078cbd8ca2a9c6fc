import { AsyncLocalStorage } from 'node:async_hooks';
import { HeldInsertError, multiRowInserts, type HeldRow } from './held-inserts.js';

/** An open transaction, as the executor that began it tracks it. */
export interface Tx<C> {
  /** What its statements go to: the pool client on PostgreSQL; the one connection on SQLite. */
  readonly conn: C;
  /** False from the moment COMMIT or ROLLBACK is issued. */
  open: boolean;
  /** The innermost open frame: the transaction's own, or its deepest savepoint's. */
  top: Frame<C>;
  /** See AsyncSql.changes. */
  changes: number;
  /** See AsyncSql.afterCommit: run once COMMIT has succeeded, dropped on rollback. */
  committed: (() => void)[];
  /** Inserts held back (see AsyncSql.hold), when the transaction was begun holding them; null otherwise. */
  held: HeldRow[] | null;
  /** Set when sending held inserts failed: every later statement, COMMIT included, fails with it. */
  failed?: HeldInsertError;
}

/** What an async context is inside of: a transaction (depth 0) or one of its savepoints. */
export interface Frame<C> {
  readonly tx: Tx<C>;
  readonly depth: number;
}

/** Runs one engine's SQL on the transaction's connection, bypassing the scope checks. */
export type RawExec = (text: string) => unknown;

/**
 * Which transaction each async context belongs to. The store of the AsyncLocalStorage is the
 * frame a body runs in; a statement is placed by the frame of the context it was issued from.
 */
export function createScopes<C>() {
  const als = new AsyncLocalStorage<Frame<C>>();

  /** The frame this context's statements go to, or undefined outside any transaction; throws where they must not run. */
  function current(): Frame<C> | undefined {
    const frame = als.getStore();
    if (!frame) return undefined;
    if (!frame.tx.open) throw new Error('statement issued after its transaction ended: await every statement inside the transaction body');
    if (frame.tx.top !== frame) throw new Error('statement issued beside an open savepoint, not inside it: await the savepoint first');
    return frame;
  }

  /** Registers fn to run after the current transaction commits; at once (next microtask) outside any. */
  function afterCommit(fn: () => void): void {
    const frame = current();
    if (frame) frame.tx.committed.push(fn);
    else queueMicrotask(fn);
  }

  /** Runs a committed transaction's callbacks; one that throws does not stop the others. */
  function runCommitted(tx: Tx<C>): void {
    for (const fn of tx.committed) {
      try {
        fn();
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  return {
    current,
    afterCommit,
    runCommitted,

    /** Holds the insert in the current transaction, if it holds inserts and no savepoint is open; false when the caller must run it now. */
    hold(row: HeldRow): boolean {
      const frame = current();
      if (!frame?.tx.held || frame.depth > 0) return false;
      frame.tx.held.push(row);
      frame.tx.changes += 1;
      return true;
    },

    holding(): boolean {
      const frame = current();
      return !!frame?.tx.held && frame.depth === 0;
    },

    /** The parameters of rows held with this text in the current transaction. */
    heldRows(text: string): unknown[][] {
      return (current()?.tx.held ?? []).filter((r) => r.text === text).map((r) => r.params);
    },

    /**
     * What must run before tx's next statement: its held inserts as multi-row statements (taken
     * off the transaction), sent by the engine, which reports a failure with `heldFailed`.
     */
    takeHeld(tx: Tx<C>): { text: string; params: unknown[] }[] {
      if (tx.failed) throw tx.failed;
      if (!tx.held || tx.held.length === 0) return [];
      const statements = multiRowInserts(tx.held);
      tx.held.length = 0;
      return statements;
    },

    heldFailed(tx: Tx<C>, err: unknown): HeldInsertError {
      return (tx.failed = new HeldInsertError(err));
    },

    /** A new open transaction on conn. */
    begin(conn: C, options: { holdInserts?: boolean } = {}): Tx<C> {
      const tx = { conn, open: true, changes: 0, committed: [], held: options.holdInserts ? [] : null } as unknown as Tx<C>;
      tx.top = { tx, depth: 0 };
      return tx;
    },

    /** Runs fn with every statement it issues placed in tx. */
    within<T>(tx: Tx<C>, fn: () => Promise<T>): Promise<T> {
      return als.run(tx.top, fn);
    },

    /**
     * SAVEPOINT … RELEASE around fn, ROLLBACK TO when it throws (then RELEASE, which pops the
     * savepoint that ROLLBACK TO leaves in place). Names are by depth: unique along the chain
     * of nested savepoints, and a finished one's name is free for its next sibling.
     */
    async savepoint<T>(parent: Frame<C>, exec: RawExec, fn: () => Promise<T>, sendHeld: () => unknown): Promise<T> {
      const { tx } = parent;
      const frame: Frame<C> = { tx, depth: parent.depth + 1 };
      const name = `chorus_sp${frame.depth}`;
      const changesBefore = tx.changes;
      const committedBefore = tx.committed.length;
      // The frame is on top from the moment SAVEPOINT is issued: a sibling statement the
      // parent issues before awaiting the savepoint would otherwise land inside it unseen.
      tx.top = frame;
      try {
        // Rows the parent holds are the parent's: they go out before the savepoint can undo them.
        await sendHeld();
        await exec(`SAVEPOINT ${name}`);
      } catch (err) {
        tx.top = parent;
        throw err;
      }
      let result: T;
      try {
        result = await als.run(frame, fn);
      } catch (err) {
        tx.top = parent;
        await exec(`ROLLBACK TO SAVEPOINT ${name}`);
        await exec(`RELEASE SAVEPOINT ${name}`);
        tx.changes = changesBefore;
        tx.committed.length = committedBefore;
        throw err;
      }
      tx.top = parent;
      await exec(`RELEASE SAVEPOINT ${name}`);
      return result;
    },
  };
}
