import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrivateFile } from '../private-file.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const migrationsFolder = fileURLToPath(new URL('../../migrations/sqlite', import.meta.url));

/** Raised when the database cannot be opened or written: the server prints it as one line. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/**
 * Opens (creating if needed) the SQLite file with the pragmas every connection needs:
 * WAL, synchronous=FULL (better-sqlite3 only keeps FULL on the connection that enabled WAL,
 * so it is set on each), foreign keys, secure_delete, and a busy timeout so a second process
 * waits instead of failing.
 */
export function openDatabase(path: string): Db {
  let client: Database.Database;
  try {
    if (path !== ':memory:') {
      makeDirs(dirname(path));
      createPrivateFile(path);
    }
    client = new Database(path);
    client.pragma('journal_mode = WAL');
    client.pragma('synchronous = FULL');
    client.pragma('foreign_keys = ON');
    // Deleted and overwritten content is zeroed, not left in free pages and cells: erasure must leave no copy.
    client.pragma('secure_delete = ON');
    client.pragma('busy_timeout = 5000');
    probeWritable(client);
  } catch (err) {
    throw new DatabaseUnavailableError(`cannot open a writable database at ${path}: ${(err as Error).message}`);
  }
  return drizzle(client, { schema }) as Db;
}

/**
 * mkdir -p, one level at a time: Node's `mkdirSync(…, { recursive: true })` never returns for a
 * path under /proc (it retries ENOENT forever), which would hang start-up instead of failing.
 */
function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  makeDirs(dirname(dir));
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Throws unless the database takes a write. */
export function probeWritable(client: Database.Database): void {
  client.exec('CREATE TABLE IF NOT EXISTS _write_probe (at TEXT); DELETE FROM _write_probe; INSERT INTO _write_probe VALUES (CURRENT_TIMESTAMP)');
}

export function runMigrations(db: Db): void {
  migrate(db, { migrationsFolder });
}

/** Every migration drizzle-kit generated has been applied. */
export function isMigrated(db: Db): boolean {
  const row = db.$client
    .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
    .get() as { n: number };
  if (row.n === 0) return false;
  const applied = (db.$client.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
  return applied >= expectedMigrations();
}

function expectedMigrations(): number {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}
