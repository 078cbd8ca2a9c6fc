import type { Db } from '../db/client.js';

interface Pending {
  fn: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: boolean; value: unknown };

/** Thrown inside the batch transaction to roll it back when a write failed half-way. */
const partialWrite = Symbol('partial write');

/**
 * Group commit: writes that arrive while the event loop is busy are gathered and committed in
 * one IMMEDIATE transaction on the next turn, so one fsync serves many requests. A write that
 * throws is rejected alone and leaves nothing behind; the others commit. A caller's promise
 * resolves only after the transaction holding its write has committed, so durability is
 * exactly that of one transaction per request.
 *
 * Writes run without a savepoint each: a savepoint makes SQLite copy every page a write touches
 * into a sub-journal first, which cost more than the writes themselves. A write that throws
 * before changing anything (the usual case: a lookup that finds nothing) is simply dropped; one
 * that throws after changing rows rolls the whole batch back, and the batch is replayed with a
 * savepoint per write.
 */
export function createGroupCommit(db: Db, maxBatch = 256) {
  let queue: Pending[] = [];
  let scheduled = false;
  const sql = db.$client;
  const savepoint = sql.transaction((fn: () => unknown) => fn());
  const totalChanges = sql.prepare('SELECT total_changes()').pluck();

  /** Runs the batch in one transaction; null if it had to be rolled back to isolate a failed write. */
  function commit(batch: Pending[], isolated: boolean): Outcome[] | null {
    const outcomes: Outcome[] = [];
    try {
      sql
        .transaction(() => {
          for (const item of batch) {
            const before = isolated ? 0 : totalChanges.get();
            try {
              outcomes.push({ ok: true, value: isolated ? savepoint(item.fn) : item.fn() });
            } catch (err) {
              if (!isolated && totalChanges.get() !== before) throw partialWrite;
              outcomes.push({ ok: false, value: err });
            }
          }
        })
        .immediate();
    } catch (err) {
      if (err === partialWrite) return null;
      throw err;
    }
    return outcomes;
  }

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = commit(batch, false) ?? commit(batch, true)!;
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.value);
    });
  }

  return {
    run<T>(fn: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        if (queue.length >= maxBatch) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    /** Commits whatever is waiting now (shutdown, tests). */
    flush,
  };
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;
