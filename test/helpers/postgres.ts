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

async function onCluster(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
