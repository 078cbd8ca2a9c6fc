import { openDatabase, runMigrations, type Db } from '../db/client.js';
import { openPostgres } from '../db/postgres.js';
import { createStore, type Store } from './index.js';
import { postgresEngine } from './postgres-engine.js';
import { sqliteEngine } from './sqlite-engine.js';

export interface OpenedStore {
  store: Store;
  /** Lets what has started finish, then closes the connection or pool. */
  close(): Promise<void>;
}

/**
 * Opens and migrates the database the configuration names: PostgreSQL when `url` is set
 * (DATABASE_URL), else the SQLite file at `path` (or `db`, a connection the caller owns and closes).
 * Raises DatabaseUnavailableError, one line, when it cannot.
 */
export async function openStore(opts: { path: string; url?: string; db?: Db }): Promise<OpenedStore> {
  if (opts.url) {
    const pgdb = await openPostgres(opts.url);
    const engine = await postgresEngine(pgdb, opts.url);
    return { store: createStore(engine), close: engine.close };
  }
  const db = opts.db ?? openDatabase(opts.path);
  runMigrations(db);
  const engine = sqliteEngine(db);
  return {
    store: createStore(engine),
    close: async () => {
      // A connection the caller handed in stays open for the caller to close.
      if (!opts.db) await engine.sql.close();
    },
  };
}
