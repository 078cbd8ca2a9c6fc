import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { isPostgresMigrated, type Postgres } from '../db/postgres.js';
import { createPgAsyncSql } from './engine/postgres.js';
import type { Engine } from './index.js';

/** Every instance's write transactions announce their commit here. */
const CHANNEL = 'chorus_commits';

/**
 * PostgreSQL for several instances. Each write transaction ends with a NOTIFY carrying this
 * instance's id, delivered to every listener once it commits; a listening connection counts
 * the commits of other instances, and that count is the data version caches are checked
 * against. While the listening connection is down (and until it is back), nothing can be
 * known to be unchanged: the version changes on every read, so caches read through.
 */
export async function postgresEngine(pgdb: Postgres, connectionString: string): Promise<Engine & { close(): Promise<void> }> {
  const instance = randomUUID();
  let local = 0;
  let foreign = 0;
  let listening = false;
  let closed = false;
  const sql = createPgAsyncSql(pgdb.pool, { onWrite: { text: 'SELECT pg_notify($1, $2)', values: [CHANNEL, instance] } });
  // The executor announces; this counts what this process committed, at the moment it commits.
  const transaction = sql.transaction;
  sql.transaction = async (fn, options) => {
    const result = await transaction(fn, options);
    local++;
    return result;
  };

  let listener: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  async function listen(): Promise<void> {
    const client = new pg.Client({ connectionString });
    client.on('error', () => {});
    client.on('end', () => {
      listening = false;
      if (!closed) retry = setTimeout(() => void listen(), 1000).unref();
    });
    client.on('notification', (n) => {
      if (n.payload !== instance) foreign++;
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      listener = client;
      listening = true;
      // Commits made while nobody listened were missed: count them as one.
      foreign++;
    } catch {
      await client.end().catch(() => {});
    }
  }
  await listen();

  return {
    sql,
    dataVersion: () => (listening ? foreign : ++foreign),
    commits: () => local,
    async ready() {
      if (!(await isPostgresMigrated(pgdb.pool))) return 'not migrated';
      // A standby (or a database set read-only) answers reads but would refuse every write.
      const readOnly = await sql.value<string>('SHOW transaction_read_only');
      if (readOnly !== 'off') throw new Error('the database is read-only');
      return 'ok';
    },
    // PostgreSQL leaves old row versions to VACUUM, which the operator's autovacuum runs; nothing to do here.
    checkpoint: async () => true,
    async close() {
      closed = true;
      clearTimeout(retry);
      await listener?.end().catch(() => {});
      await sql.close();
    },
  };
}
