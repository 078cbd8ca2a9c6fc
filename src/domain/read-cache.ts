/**
 * Rows that every public request reads (a campaign, its targets, its templates), kept in
 * memory. An entry stays valid until the service that owns the table drops it on its own
 * writes (`clear`), or until another connection or process commits anything (`version`, the
 * store's data version): a cached row is never older than what a fresh read would return.
 * Rows are frozen, so a caller cannot change what the next caller gets.
 */
export function createReadCache<V extends object>(version: () => unknown) {
  const rows = new Map<string, V>();
  let seen: unknown;
  let generation = 0;

  return {
    async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
      const now = version();
      if (now !== seen) {
        rows.clear();
        seen = now;
      }
      const hit = rows.get(key);
      if (hit !== undefined) return hit;
      const cleared = generation;
      const row = await load();
      // A write that cleared the cache while this read was on its way may have changed the row: keep it out.
      if (row !== undefined && cleared === generation && version() === now) rows.set(key, deepFreeze(row));
      return row && deepFreeze(row);
    },
    clear(): void {
      rows.clear();
      generation++;
    },
  };
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (v && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v);
  return Object.freeze(value);
}
