import { createServer } from 'node:net';
import pg from 'pg';

/**
 * Loaded into the measured service (`--import`, PostgreSQL runs only): counts the service's
 * round trips to PostgreSQL. node-postgres sends each `Client.query` as one request (Parse/Bind/
 * Execute/Sync, or Bind/Execute/Sync for a statement it has prepared, or one simple Query) and
 * waits for its ReadyForQuery before the next on that connection (it never pipelines), so one
 * call is one round trip; pools, drizzle and the LISTEN connection all go through it. The counts
 * so far are sent as JSON to whoever connects to the unix socket $BENCH_ROUND_TRIPS_SOCKET (not
 * a signal: close-with-grace shuts the service down on SIGUSR2, and SIGUSR1 starts Node's
 * inspector; not a file written periodically: that cost the service measurably under load).
 * Nothing in the service changes.
 */
const socket = process.env.BENCH_ROUND_TRIPS_SOCKET;
if (socket) {
  /** `autocommit`: statements sent outside BEGIN … COMMIT, each a transaction of its own. `byText`: round trips per statement (its first 100 characters). */
  const counts = { queries: 0, commits: 0, autocommit: 0, byText: {} as Record<string, number> };
  const inTransaction = new WeakSet<pg.Client>();
  const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: typeof query }).query = function (this: pg.Client, ...args: unknown[]) {
    counts.queries++;
    const config = args[0];
    const text = (typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text) ?? '';
    counts.byText[text] = (counts.byText[text] ?? 0) + 1;
    if (text === 'BEGIN') inTransaction.add(this);
    else if (text === 'COMMIT' || text === 'ROLLBACK') {
      if (text === 'COMMIT') counts.commits++;
      inTransaction.delete(this);
    } else if (!inTransaction.has(this)) counts.autocommit++;
    return query.apply(this, args);
  };
  const short = (text: string) => text.replace(/\s+/g, ' ').slice(0, 100);
  // unref: the socket never keeps the service from shutting down.
  createServer((c) => {
    const byText: Record<string, number> = {};
    for (const [k, n] of Object.entries(counts.byText)) byText[short(k)] = (byText[short(k)] ?? 0) + n;
    c.end(JSON.stringify({ ...counts, byText }));
  })
    .listen(socket)
    .unref();
}
