import type Database from 'better-sqlite3';

/** Statement parameters: positional (`?`) or named (`@name`). */
export type Params = unknown[] | Record<string, unknown>;

/**
 * The one place SQL meets the driver. Repositories hand it their SQL text and parameters and
 * say what row type comes back (a shape picked from the table definitions); statements are
 * prepared once per text and reused, so a repository costs what raw better-sqlite3 costs.
 */
export interface Sql {
  all<T>(text: string, params?: Params): T[];
  get<T>(text: string, params?: Params): T | undefined;
  /** The first column of the first row. */
  value<T>(text: string, params?: Params): T | undefined;
  run(text: string, params?: Params): { changes: number };
  /** Several statements without parameters (schema changes in tests, pragmas). */
  exec(text: string): void;
}

export function createSqliteSql(client: Database.Database): Sql {
  // better-sqlite3's pluck() switches a statement for good, so plucking ones are kept apart.
  const prepared = new Map<string, Database.Statement>();
  const plucking = new Map<string, Database.Statement>();
  const statement = (text: string, pluck = false) => {
    const cache = pluck ? plucking : prepared;
    let s = cache.get(text);
    if (!s) cache.set(text, (s = pluck ? client.prepare(text).pluck() : client.prepare(text)));
    return s;
  };
  const args = (params: Params | undefined): unknown[] => (params === undefined ? [] : Array.isArray(params) ? params : [params]);
  return {
    all: <T>(text: string, params?: Params) => statement(text).all(...args(params)) as T[],
    get: <T>(text: string, params?: Params) => statement(text).get(...args(params)) as T | undefined,
    value: <T>(text: string, params?: Params) => statement(text, true).get(...args(params)) as T | undefined,
    run: (text: string, params?: Params) => ({ changes: statement(text).run(...args(params)).changes }),
    exec: (text: string) => void client.exec(text),
  };
}
