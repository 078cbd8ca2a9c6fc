import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';

type Stored = typeof idempotencyKeys.$inferSelect;

/** Stored responses of POSTs carrying an Idempotency-Key, one per caller scope and key. */
export function createIdempotencyRepo(db: Db) {
  const byKey = (scope: string, key: string) => and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
  return {
    /** Reserves the key for a request still running; false if it is taken. */
    reserve: (row: Pick<Stored, 'scope' | 'key' | 'requestHash' | 'statusCode' | 'responseBody' | 'createdAt'>) =>
      db.insert(idempotencyKeys).values(row).onConflictDoNothing().run().changes === 1,
    get: (scope: string, key: string) => db.select().from(idempotencyKeys).where(byKey(scope, key)).get(),
    /** Keeps the response a reservation's request answered. */
    complete: (scope: string, key: string, response: Pick<Stored, 'statusCode' | 'responseBody' | 'contentType'>) =>
      void db.update(idempotencyKeys).set(response).where(byKey(scope, key)).run(),
    release: (scope: string, key: string) => void db.delete(idempotencyKeys).where(byKey(scope, key)).run(),
    /** Forgets everything stored before `before`. */
    sweep: (before: string) => void db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before)).run(),
  };
}
