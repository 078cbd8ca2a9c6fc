import { getTableColumns, type Column, type InferInsertModel, type InferSelectModel } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { AsyncSql } from './engine/async-sql.js';

/**
 * SQL and row mapping derived from a table's definition, for the repositories that read and write
 * whole rows: the select list (every column under its property name, quoted so PostgreSQL keeps
 * the case), and each column's own mapping between the stored value and the typed one (JSON
 * text, 0/1 booleans), as drizzle defines it. Both engines store these columns alike.
 */
export function tableRows<T extends SQLiteTable>(table: T, alias?: string) {
  type Row = InferSelectModel<T>;
  type Insert = InferInsertModel<T>;
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  const byKey = new Map(columns);
  const prefix = alias ? `${alias}.` : '';
  const tableName = (table as unknown as Record<symbol, string>)[Symbol.for('drizzle:Name')]!;
  const encode = (key: string, value: unknown) => (value === null || value === undefined ? null : byKey.get(key)!.mapToDriverValue(value));
  const given = (row: object) => Object.keys(row).filter((k) => byKey.has(k) && (row as Record<string, unknown>)[k] !== undefined);

  /** A stored row as its typed value. */
  function decode(raw: Record<string, unknown>): Row {
    const row: Record<string, unknown> = {};
    for (const [key, c] of columns) {
      const v = raw[key];
      row[key] = v === null || v === undefined ? null : c.mapFromDriverValue(v);
    }
    return row as Row;
  }

  /** INSERT of the row's given columns (the others take their SQL defaults), returning the stored row. */
  function insert(row: Insert): { text: string; params: unknown[] } {
    const keys = given(row);
    return {
      text: `INSERT INTO ${tableName} (${keys.map((k) => byKey.get(k)!.name).join(', ')}) VALUES (${keys.map(() => '?').join(', ')}) RETURNING ${columns
        .map(([key, c]) => `${c.name} AS "${key}"`)
        .join(', ')}`,
      params: keys.map((k) => encode(k, (row as Record<string, unknown>)[k])),
    };
  }

  return {
    name: tableName,
    /** `col AS "prop", …` for SELECT. */
    select: columns.map(([key, c]) => `${prefix}${c.name} AS "${key}"`).join(', '),
    decode,
    insert,
    /** `col = ?, …` for the patch's given columns, and their values. */
    set(patch: Partial<Insert>): { text: string; params: unknown[] } {
      const keys = given(patch);
      return { text: keys.map((k) => `${byKey.get(k)!.name} = ?`).join(', '), params: keys.map((k) => encode(k, (patch as Record<string, unknown>)[k])) };
    },
    /** Statements returning whole rows, run on `sql`: one decoded row (or undefined), all of them, the stored row of an insert. */
    on(sql: AsyncSql) {
      return {
        one: async (text: string, params?: unknown[]) => {
          const raw = await sql.get<Record<string, unknown>>(text, params);
          return raw && decode(raw);
        },
        many: async (text: string, params?: unknown[]) => (await sql.all<Record<string, unknown>>(text, params)).map(decode),
        insert: async (row: Insert) => {
          const q = insert(row);
          return decode((await sql.get<Record<string, unknown>>(q.text, q.params))!);
        },
      };
    },
  };
}
