import type { AsyncSql } from '../../src/store/engine/async-sql.js';

export interface FailWrites {
  /** The trigger's name (and, on PostgreSQL, its function's). */
  name: string;
  table: string;
  before: 'INSERT' | `UPDATE OF ${string}`;
  /** A condition on NEW; every row when absent. */
  when?: string;
  /** Plain words: it is written into the SQL as a string literal. */
  message: string;
}

/**
 * Makes writes to a table fail inside the database, as a failing disk or a bad record would,
 * on either engine: a trigger raising `message`. Resolves to what removes it again.
 */
export async function failWrites(sql: AsyncSql, { name, table, before, when, message }: FailWrites): Promise<() => Promise<void>> {
  if (sql.dialect === 'sqlite') {
    await sql.exec(`CREATE TRIGGER ${name} BEFORE ${before} ON ${table} ${when ? `WHEN ${when} ` : ''}BEGIN SELECT RAISE(ABORT, '${message}'); END`);
    return () => sql.exec(`DROP TRIGGER ${name}`);
  }
  await sql.exec(
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$;
     CREATE TRIGGER ${name} BEFORE ${before} ON ${table} FOR EACH ROW ${when ? `WHEN (${when}) ` : ''}EXECUTE FUNCTION ${name}()`,
  );
  return () => sql.exec(`DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}()`);
}
