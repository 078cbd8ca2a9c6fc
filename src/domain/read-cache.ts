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

  return {
    get(key: string, load: () => V | undefined): V | undefined {
      const now = version();
      if (now !== seen) {
        rows.clear();
        seen = now;
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

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (v && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v);
  return Object.freeze(value);
}
