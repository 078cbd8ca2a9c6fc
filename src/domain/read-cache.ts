import type { Db } from '../db/client.js';

/**
 * Rows that every public request reads (a campaign, its targets, its templates), kept in
 * memory. An entry stays valid until the service that owns the table drops it on its own
 * writes (`clear`), or until another connection or process commits anything (SQLite's
 * `PRAGMA data_version`): a cached row is never older than what a fresh read would return.
 * Rows are frozen, so a caller cannot change what the next caller gets.
 */
export function createReadCache<V extends object>(db: Db) {
  const dataVersion = dataVersionOf(db);
  const rows = new Map<string, V>();
  let version: unknown;

  return {
    get(key: string, load: () => V | undefined): V | undefined {
      const now = dataVersion();
      if (now !== version) {
        rows.clear();
        version = now;
      }
      let row = rows.get(key);
      if (row === undefined) {
        row = load();
        if (row !== undefined) rows.set(key, deepFreeze(row));
      }
      return row;
    },
    clear(): void {
      rows.clear();
    },
  };
}

const probes = new WeakMap<Db['$client'], () => unknown>();

/**
 * The database's data_version, read at most once per synchronous stretch of work: the reads a
 * request makes before it next awaits share one look (about 2 µs each), as if made at once.
 */
export function dataVersionOf(db: Db): () => unknown {
  let probe = probes.get(db.$client);
  if (!probe) {
    const statement = db.$client.prepare('PRAGMA data_version').pluck();
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
    probes.set(db.$client, probe);
  }
  return probe;
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (v && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v);
  return Object.freeze(value);
}
