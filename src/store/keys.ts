import { adminSessions, apiKeys } from '../db/schema.js';
import type { AsyncSql } from './engine/async-sql.js';
import { tableRows } from './table-rows.js';

const k = tableRows(apiKeys);

/** API keys (stored by the SHA-256 of their secret). */
export function createKeyRepo(sql: AsyncSql) {
  const on = { k: k.on(sql) };
  return {
    async insert(row: typeof apiKeys.$inferInsert) {
      return on.k.insert(row);
    },
    /** The live (unrevoked) key with this hash. */
    async liveByHash(hash: string) {
      return on.k.one(`SELECT ${k.select} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`, [hash]);
    },
    /** Revokes a live key; false if there is none with this id. */
    revoke: async (id: string, at: string) => (await sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id])).changes > 0,
    /** Every key ever minted, newest first, without hashes. */
    list: async () =>
      (await sql.all<Record<string, unknown>>(`SELECT ${k.select} FROM api_keys ORDER BY created_at DESC, id DESC`)).map((raw) => {
        const { id, name, scopes, createdAt, revokedAt } = k.decode(raw);
        return { id, name, scopes, createdAt, revokedAt };
      }),
  };
}

/** Dashboard sessions, by the hash of their token. */
export function createSessionRepo(sql: AsyncSql) {
  return {
    /** Drops expired sessions and stores a new one, in the caller's transaction. */
    async replaceExpired(row: typeof adminSessions.$inferInsert, now: string): Promise<void> {
      await sql.run('DELETE FROM admin_sessions WHERE expires_at <= ?', [now]);
      await sql.run('INSERT INTO admin_sessions (token_hash, key_hash, expires_at, created_at) VALUES (?, ?, ?, ?)', [
        row.tokenHash,
        row.keyHash,
        row.expiresAt,
        row.createdAt ?? now,
      ]);
    },
    /** The key hash of a session still valid at `now`. */
    keyHashOf: (tokenHash: string, now: string) => sql.value<string>('SELECT key_hash FROM admin_sessions WHERE token_hash = ? AND expires_at > ?', [tokenHash, now]),
    async remove(tokenHash: string): Promise<void> {
      await sql.run('DELETE FROM admin_sessions WHERE token_hash = ?', [tokenHash]);
    },
  };
}

/** Per-installation settings (generated secrets). */
export function createSettingRepo(sql: AsyncSql) {
  return {
    get: (name: string) => sql.value<string>('SELECT value FROM settings WHERE name = ?', [name]),
    /** Stores a value unless one is already there (two processes starting at once keep the first). */
    async putIfAbsent(name: string, value: string): Promise<void> {
      await sql.run('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [name, value]);
    },
  };
}
