import { writeFileSync } from 'node:fs';
import pg from 'pg';

/**
 * Loaded into the measured service (`--import`, PostgreSQL runs only): counts the service's
 * round trips to PostgreSQL. node-postgres sends each `Client.query` as one request (Parse/Bind/
 * Execute/Sync, or Bind/Execute/Sync for a statement it has prepared, or one simple Query) and
 * waits for its ReadyForQuery before the next on that connection (it never pipelines), so one
 * call is one round trip; pools, drizzle and the LISTEN connection all go through it. Every
 * 50 ms the counts so far, with the time, go to $BENCH_ROUND_TRIPS_FILE (a signal would not do:
 * close-with-grace shuts the service down on SIGUSR2, and SIGUSR1 starts Node's inspector).
 * Nothing in the service changes.
 */
const file = process.env.BENCH_ROUND_TRIPS_FILE;
if (file) {
  /** `autocommit`: statements sent outside BEGIN … COMMIT, each a transaction of its own. `byText`: round trips per statement (its first 100 characters). */
  const counts = { at: 0, queries: 0, commits: 0, autocommit: 0, byText: {} as Record<string, number> };
  const inTransaction = new WeakSet<pg.Client>();
  const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: typeof query }).query = function (this: pg.Client, ...args: unknown[]) {
    counts.queries++;
    const config = args[0];
    const text = (typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text) ?? '';
    const key = text.replace(/\s+/g, ' ').slice(0, 100);
    counts.byText[key] = (counts.byText[key] ?? 0) + 1;
    if (text === 'BEGIN') inTransaction.add(this);
    else if (text === 'COMMIT' || text === 'ROLLBACK') {
      if (text === 'COMMIT') counts.commits++;
      inTransaction.delete(this);
    } else if (!inTransaction.has(this)) counts.autocommit++;
    return query.apply(this, args);
  };
  const write = () => {
    counts.at = Date.now();
    writeFileSync(file, JSON.stringify(counts));
  };
  setInterval(write, 50).unref();
}
