import { idempotencyKeys } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';
import { tableRows } from './table-rows.js';

type Stored = typeof idempotencyKeys.$inferSelect;
const i = tableRows(idempotencyKeys);

/** Stored responses of POSTs carrying an Idempotency-Key, one per caller scope and key. */
export function createIdempotencyRepo(sql: AsyncSql) {
  const on = { i: i.on(sql) };
  return {
    /** Reserves the key for a request still running; false if it is taken. */
    async reserve(row: Pick<Stored, 'scope' | 'key' | 'requestHash' | 'statusCode' | 'responseBody' | 'createdAt'>): Promise<boolean> {
      const q = i.insert(row);
      const text = q.text.replace(/ RETURNING .*$/s, ' ON CONFLICT DO NOTHING');
      return (await sql.run(text, q.params)).changes === 1;
    },
    async get(scope: string, key: string) {
      return on.i.one(`SELECT ${i.select} FROM idempotency_keys WHERE scope = ? AND key = ?`, [scope, key]);
    },
    /** Keeps the response a reservation's request answered. */
    async complete(scope: string, key: string, response: Pick<Stored, 'statusCode' | 'responseBody' | 'contentType'>): Promise<void> {
      const set = i.set(response);
      await sql.run(`UPDATE idempotency_keys SET ${set.text} WHERE scope = ? AND key = ?`, [...set.params, scope, key]);
    },
    async release(scope: string, key: string): Promise<void> {
      await sql.run('DELETE FROM idempotency_keys WHERE scope = ? AND key = ?', [scope, key]);
    },
    /** Forgets everything stored before `before`. */
    async sweep(before: string): Promise<void> {
      await sql.run('DELETE FROM idempotency_keys WHERE created_at < ?', [before]);
    },
  };
}
