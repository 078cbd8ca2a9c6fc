import type { Db } from '../db/client.js';

interface Pending {
  fn: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * Group commit: writes that arrive while the event loop is busy are gathered and committed in
 * one IMMEDIATE transaction on the next turn, so one fsync serves many requests. Each write runs
 * in its own savepoint: one that throws is rolled back alone and rejects only its own caller.
 * A caller's promise resolves only after the transaction holding its write has committed,
 * so durability is exactly that of one transaction per request.
 */
export function createGroupCommit(db: Db, maxBatch = 256) {
  let queue: Pending[] = [];
  let scheduled = false;
  const savepoint = db.$client.transaction((fn: () => unknown) => fn());

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      db.$client
        .transaction(() => {
          for (const item of batch) {
            try {
              outcomes.push({ ok: true, value: savepoint(item.fn) });
            } catch (err) {
              outcomes.push({ ok: false, value: err });
            }
          }
        })
        .immediate();
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
