import { and, desc, eq, gt, isNull, lte } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { adminSessions, apiKeys, settings } from '../db/schema.js';

/** API keys (stored by the SHA-256 of their secret). */
export function createKeyRepo(db: Db) {
  return {
    insert: (row: typeof apiKeys.$inferInsert) => db.insert(apiKeys).values(row).returning().get(),
    /** The live (unrevoked) key with this hash. */
    liveByHash: (hash: string) => db.select().from(apiKeys).where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt))).get(),
    /** Revokes a live key; false if there is none with this id. */
    revoke: (id: string, at: string) =>
      db.update(apiKeys).set({ revokedAt: at }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).run().changes > 0,
    /** Every key ever minted, newest first, without hashes. */
    list: () =>
      db
        .select({ id: apiKeys.id, name: apiKeys.name, scopes: apiKeys.scopes, createdAt: apiKeys.createdAt, revokedAt: apiKeys.revokedAt })
        .from(apiKeys)
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
        .all(),
  };
}

/** Dashboard sessions, by the hash of their token. */
export function createSessionRepo(db: Db) {
  return {
    /** Drops expired sessions and stores a new one, in the caller's transaction. */
    replaceExpired(row: typeof adminSessions.$inferInsert, now: string): void {
      db.delete(adminSessions).where(lte(adminSessions.expiresAt, now)).run();
      db.insert(adminSessions).values(row).run();
    },
    /** The key hash of a session still valid at `now`. */
    keyHashOf: (tokenHash: string, now: string) =>
      db
        .select({ keyHash: adminSessions.keyHash })
        .from(adminSessions)
        .where(and(eq(adminSessions.tokenHash, tokenHash), gt(adminSessions.expiresAt, now)))
        .get()?.keyHash,
    remove: (tokenHash: string) => void db.delete(adminSessions).where(eq(adminSessions.tokenHash, tokenHash)).run(),
  };
}

/** Per-installation settings (generated secrets). */
export function createSettingRepo(db: Db) {
  return {
    get: (name: string) => db.select().from(settings).where(eq(settings.name, name)).get()?.value,
    /** Stores a value unless one is already there (two processes starting at once keep the first). */
    putIfAbsent: (name: string, value: string) => void db.insert(settings).values({ name, value }).onConflictDoNothing().run(),
  };
}
