import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The cluster test/run.ts started for this run; unset when PostgreSQL is not installed. */
const clusterUrl = process.env.CHORUS_TEST_PG_URL;

/** For `{ skip: skipWithoutPostgres }`: PostgreSQL tests show as skipped, never as passed, without it. */
export const skipWithoutPostgres: string | false = clusterUrl ? false : 'PostgreSQL not installed';

export interface PgTestDatabase {
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** A new empty database on the suite's cluster: one per test file, as a temp SQLite file is. */
export async function freshPgDatabase(): Promise<PgTestDatabase> {
  if (!clusterUrl) throw new Error('CHORUS_TEST_PG_URL is not set: run the tests with npm test (test/run.ts starts PostgreSQL)');
  const name = `chorus_t_${randomBytes(6).toString('hex')}`;
  await onCluster(clusterUrl, `CREATE DATABASE ${name}`);
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => onCluster(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Runs one statement as the cluster's superuser, outside every test database. */
export async function onCluster(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The database name of a test database's URL. */
export const databaseOf = (url: string) => new URL(url).pathname.slice(1);

/**
 * Makes a test database refuse every connection (`allow = false`: as if its server had gone
 * away, for the app) and ends the connections it has; `allow = true` lets connections in again.
 */
export async function setDatabaseReachable(url: string, allow: boolean): Promise<void> {
  const name = databaseOf(url);
  await onCluster(clusterUrl!, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS ${allow}`);
  if (!allow) await onCluster(clusterUrl!, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
}

/** Makes new sessions on a test database read-only (a standby, a full disk set read-only), ending the open ones. */
export async function setDatabaseReadOnly(url: string, readOnly: boolean): Promise<void> {
  const name = databaseOf(url);
  await onCluster(clusterUrl!, `ALTER DATABASE ${name} SET default_transaction_read_only = ${readOnly ? 'on' : 'off'}`);
  await onCluster(clusterUrl!, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
}
