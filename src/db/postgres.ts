import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DatabaseUnavailableError } from './client.js';
import * as schema from './schema-pg.js';

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface Postgres {
  pool: pg.Pool;
  /** drizzle over the same pool, typed by schema-pg.ts. */
  db: PgDb;
  /** Ends the pool once, however often it is called. */
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('../../migrations/postgres', import.meta.url));
/** drizzle's defaults, named so isPostgresMigrated reads the table migrate() writes. */
const migrationsSchema = 'drizzle';
const migrationsTable = '__drizzle_migrations';
/** Any fixed key will do, as long as every Chorus process uses the same one. */
const MIGRATION_LOCK_KEY = 4_172_001;

/**
 * Connects to PostgreSQL and applies the migrations under a session-level advisory lock, so
 * when several processes start at once one migrates and the others wait, then find nothing
 * left to do. A database that cannot be reached, refuses the connection or cannot be migrated
 * raises DatabaseUnavailableError with one line naming host:port (never the password).
 */
export async function openPostgres(url: string, poolConfig: Omit<pg.PoolConfig, 'connectionString'> = {}): Promise<Postgres> {
  // count(*) and sum() are int8, which pg returns as strings; as numbers they read like SQLite's.
  // Set globally because drizzle's node-postgres session falls back on the global parsers, so
  // a per-pool `types` would not reach its queries. Chorus's counts stay far below 2^53.
  pg.types.setTypeParser(pg.types.builtins.INT8, Number);
  const pool = new pg.Pool({ connectionTimeoutMillis: 10_000, ...poolConfig, connectionString: url });
  // pg emits an idle connection that drops (server restart, network) here and removes it from
  // the pool; with no listener the event would end the process. The next query that needs the
  // database fails and is reported where it is made. (Never log this error: pg attaches the
  // client to it, and the client's settings hold the password.)
  pool.on('error', () => {});

  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end();
    throw new DatabaseUnavailableError(`cannot connect to PostgreSQL at ${address(url)}: ${reason(err, url)}`);
  }
  try {
    await migrateOnce(client);
    client.release();
  } catch (err) {
    client.release(true);
    await pool.end();
    throw new DatabaseUnavailableError(`cannot migrate PostgreSQL at ${address(url)}: ${reason(err, url)}`);
  }

  let ended: Promise<void> | undefined;
  return { pool, db: drizzle(pool, { schema }), close: () => (ended ??= pool.end()) };
}

/**
 * The lock belongs to this connection's session. On failure the caller destroys the
 * connection, which releases the lock (as a process dying mid-migration does) and rolls back
 * drizzle's migration transaction; so only success needs an explicit unlock.
 */
async function migrateOnce(client: pg.PoolClient): Promise<void> {
  await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  await migrate(drizzle(client), { migrationsFolder, migrationsSchema, migrationsTable });
  await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
}

/** Every migration drizzle-kit generated for PostgreSQL has been applied. */
export async function isPostgresMigrated(pool: pg.Pool): Promise<boolean> {
  const table = `${migrationsSchema}.${migrationsTable}`;
  const found = await pool.query<{ exists: boolean }>(`SELECT to_regclass('${table}') IS NOT NULL AS exists`);
  if (!found.rows[0]?.exists) return false;
  const applied = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return (applied.rows[0]?.n ?? 0) >= expectedMigrations();
}

function expectedMigrations(): number {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

/** host:port of a connection URL, for messages; the URL itself carries the password. */
function address(url: string): string {
  try {
    const { hostname, port, searchParams } = new URL(url);
    return `${hostname || searchParams.get('host') || 'localhost'}:${port || '5432'}`;
  } catch {
    return 'DATABASE_URL (not a valid URL)';
  }
}

/** The cause on one line, without the password even if a driver message should ever carry it. */
function reason(err: unknown, url: string): string {
  // drizzle wraps the server's error in one whose message is the failed query; the cause says why.
  const e = (err instanceof Error && err.cause instanceof Error ? err.cause : err) as Error & { code?: string; errors?: Error[] };
  // Node reports a refused connection to a name with several addresses (localhost: ::1 and
  // 127.0.0.1) as an AggregateError whose own message is empty (brianc/node-postgres#3312).
  const text = (e.message || e.errors?.map((x) => x.message).join('; ') || e.code || String(err)).replace(/\s+/g, ' ').trim();
  const password = passwordOf(url);
  return password ? text.split(password).join('***') : text;
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}
