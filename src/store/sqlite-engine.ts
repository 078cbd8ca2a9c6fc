import type Database from 'better-sqlite3';
import { isMigrated, probeWritable, type Db } from '../db/client.js';
import { createSqliteAsyncSql } from './engine/sqlite.js';
import type { Engine } from './index.js';

/** The embedded default: one better-sqlite3 connection, WAL, synchronous=FULL (see db/client.ts). */
export function sqliteEngine(db: Db): Engine {
  const client = db.$client;
  const sql = createSqliteAsyncSql(client);
  const totalChanges = client.prepare('SELECT total_changes()').pluck();
  return {
    sql,
    dataVersion: dataVersionOf(client),
    // Rows this connection changed since it opened: with dataVersion, whether anything changed at all.
    commits: () => totalChanges.get() as number,
    async ready() {
      if (!isMigrated(db)) return 'not migrated';
      probeWritable(client);
      return 'ok';
    },
    // The WAL still holds erased rows' old pages: copy it into the file and truncate it to nothing.
    checkpoint: async () => (await sql.get<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)'))?.busy === 0,
  };
}

const probes = new WeakMap<Database.Database, () => unknown>();

/**
 * SQLite's data_version, read at most once per synchronous stretch of work: the reads a
 * request makes before it next awaits share one look (about 2 µs each), as if made at once.
 * One probe per connection, shared by every store built on it.
 */
function dataVersionOf(client: Database.Database): () => unknown {
  let probe = probes.get(client);
  if (!probe) {
    const statement = client.prepare('PRAGMA data_version').pluck();
    let value: unknown;
    let fresh = false;
    probe = () => {
      if (!fresh) {
        value = statement.get();
        fresh = true;
        queueMicrotask(() => (fresh = false));
      }
      return value;
    };
    probes.set(client, probe);
  }
  return probe;
}
