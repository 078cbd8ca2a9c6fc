import type { AsyncSql } from './engine/async-sql.js';

/**
 * The few places where SQLite and PostgreSQL spell the same thing differently, as SQL fragments
 * for the repositories. Everything else the engines share is written once.
 */
export function dialectOf(sql: Pick<AsyncSql, 'dialect'>) {
  const pg = sql.dialect === 'postgres';
  return {
    /** An integer field of a JSON text column (null when absent). */
    jsonInt: (column: string, field: string) => (pg ? `(${column}::jsonb ->> '${field}')::integer` : `json_extract(${column}, '$.${field}')`),
    /** `expr` is one of the strings of a JSON array parameter. */
    inJsonArray: (expr: string, param: string) =>
      pg ? `${expr} IN (SELECT jsonb_array_elements_text(${param}::jsonb))` : `${expr} IN (SELECT value FROM json_each(${param}))`,
    /**
     * Appended to a SELECT of rows a transaction is about to claim: on PostgreSQL, rows another
     * worker is claiming right now are skipped rather than waited for (SQLite's BEGIN IMMEDIATE
     * already lets one writer at a time claim).
     */
    skipLocked: (table: string) => (pg ? ` FOR UPDATE OF ${table} SKIP LOCKED` : ''),
  };
}
