import type { AsyncSql } from './engine/async-sql.js';
import { HeldInsertError } from './engine/held-inserts.js';
import { isUniqueViolation } from './errors.js';
import type { Counters, Deltas } from '../domain/counters.js';
import type { Committing, DomainEvent, LetterMove, MoveScope } from '../domain/letter-lifecycle.js';

type Tally = Map<string, { deltas: Deltas; at: string }>;

interface Pending {
  /** `write` takes counter changes (summed over the batch, written once just before it commits) and letter moves (announced once it has). */
  fn: (write: MoveScope) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: boolean; value: unknown; moves: LetterMove[]; events: DomainEvent[] };

/** Thrown inside the batch transaction to roll it back when a write failed half-way. */
const partialWrite = Symbol('partial write');

/**
 * Group commit: writes that arrive while the event loop is busy, or while the previous batch is
 * committing, are gathered and committed in one transaction, so one fsync serves many requests. A write that
 * throws is rejected alone and leaves nothing behind; the others commit. A caller's promise
 * resolves only after the transaction holding its write has committed, so durability is
 * exactly that of one transaction per request.
 *
 * Writes run without a savepoint each: a savepoint makes SQLite copy every page a write touches
 * into a sub-journal first, which cost more than the writes themselves, and costs PostgreSQL two
 * round trips. A write that throws before changing anything (the usual case: a lookup that finds
 * nothing) is simply dropped; one that throws after changing rows rolls the whole batch back,
 * and the batch is replayed with a savepoint per write. So is a batch whose commit fails after
 * one of its writes failed: on PostgreSQL a failed statement aborts the whole transaction.
 *
 * Counter changes are summed over the batch: a surge bumps the same few counter rows for every
 * letter, and one upsert per counter per batch replaces one per letter. Likewise the first pass
 * holds the accept path's inserts (AsyncSql.hold) and sends them as one multi-row INSERT per
 * table: on PostgreSQL each statement is a round trip. When sending them fails, no row can be
 * told from the others, so the batch is replayed isolated, where nothing is held.
 */
export function createGroupCommit(
  sql: AsyncSql,
  counters: Pick<Counters, 'bump'>,
  lifecycle: { announce(moves: LetterMove[]): void; committing(c: Committing): Promise<void> },
  maxBatch = 256,
) {
  const queue: Pending[] = [];
  let scheduled = false;

  function add(tally: Tally, campaignId: string, deltas: Deltas, at: string): void {
    const entry = tally.get(campaignId) ?? { deltas: {}, at };
    for (const [name, n] of Object.entries(deltas)) entry.deltas[name] = (entry.deltas[name] ?? 0) + n;
    if (at > entry.at) entry.at = at;
    tally.set(campaignId, entry);
  }

  /** Runs the batch in one transaction; null if it had to be rolled back to isolate a failed write. */
  async function commit(batch: Pending[], isolated: boolean): Promise<Outcome[] | null> {
    const outcomes: Outcome[] = [];
    let failed = false;
    try {
      await sql.transaction(async () => {
        const batchTally: Tally = new Map();
        for (const item of batch) {
          const before = sql.changes();
          let tally: Tally = new Map();
          let moves: LetterMove[] = [];
          let events: DomainEvent[] = [];
          const write: MoveScope = {
            count: (campaignId, deltas, at) => add(tally, campaignId, deltas, at),
            moved: (m) => moves.push(m),
            event: (e) => events.push(e),
          };
          const attempt = () => {
            tally = new Map();
            moves = [];
            events = [];
            return sql.savepoint(() => item.fn(write));
          };
          try {
            // Isolated, a write refused on a unique key lost a race with a transaction that has
            // committed since (another instance's supporter, say): once more, it reads that row.
            const value = isolated ? await attempt().catch((err: unknown) => (isUniqueViolation(err) ? attempt() : Promise.reject(err))) : await item.fn(write);
            for (const [campaignId, { deltas, at }] of tally) add(batchTally, campaignId, deltas, at);
            outcomes.push({ ok: true, value, moves, events });
          } catch (err) {
            if (!isolated && (sql.changes() !== before || err instanceof HeldInsertError)) throw partialWrite;
            failed = true;
            outcomes.push({ ok: false, value: err, moves: [], events: [] });
          }
        }
        // What the batch's writes report is queued for webhooks in the same transaction, once for the batch.
        await lifecycle.committing({ moves: outcomes.flatMap((o) => o.moves), events: outcomes.flatMap((o) => o.events) });
        for (const [campaignId, { deltas, at }] of batchTally) await counters.bump(campaignId, deltas, at);
      }, { holdInserts: !isolated });
    } catch (err) {
      if (err === partialWrite || (!isolated && (failed || err instanceof HeldInsertError))) return null;
      throw err;
    }
    return outcomes;
  }

  /** Commits one batch and settles its callers' promises; only a failure of the whole transaction rejects them all. */
  async function commitBatch(batch: Pending[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = (await commit(batch, false)) ?? (await commit(batch, true))!;
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    lifecycle.announce(outcomes.flatMap((o) => o.moves));
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.value);
    });
  }

  // One batch in flight at a time: writes arriving while a commit waits on the database (a
  // PostgreSQL round trip) gather into the next batch instead of each starting a transaction.
  let draining: Promise<void> | undefined;
  async function drainLoop(): Promise<void> {
    while (queue.length > 0) await commitBatch(queue.splice(0, maxBatch));
  }
  function drain(): Promise<void> {
    draining ??= drainLoop().finally(() => {
      draining = undefined;
      // A write queued between the loop's last check and now would otherwise wait for the next one.
      if (queue.length > 0) schedule();
    });
    return draining;
  }
  function schedule(): void {
    if (draining) return; // the loop takes it after the batch in flight
    if (queue.length >= maxBatch) void drain();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void drain();
      });
    }
  }

  return {
    run<T>(fn: (write: MoveScope) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    /** Commits whatever is waiting now, after the batch in flight (shutdown, tests). */
    flush: drain,
  };
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;
