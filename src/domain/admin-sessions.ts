import { and, eq, gt, lte } from 'drizzle-orm';
import { writeTx, type Db } from '../db/client.js';
import { adminSessions } from '../db/schema.js';
import type { Clock } from './clock.js';
import { newSecret, sha256 } from './ids.js';
import type { KeyService, Principal } from './keys.js';

/** An organizer stays signed in for a working day at most. */
export const adminSessionSeconds = 8 * 60 * 60;

/**
 * Server-side sessions for the organizer dashboard. The browser holds a random token that
 * is worth nothing once signed out, expired or its key revoked; the key itself never leaves
 * the sign-in request.
 */
export function createAdminSessions(deps: { db: Db; clock: Clock; keys: KeyService }) {
  const { db, clock, keys } = deps;

  /** Signs in with an API key; returns the session token for the cookie, or nothing for a bad key. */
  function open(presentedKey: string): string | undefined {
    const keyHash = sha256(presentedKey);
    if (!keys.principalOf(keyHash)) return undefined;
    const now = clock.now();
    const token = newSecret();
    writeTx(db, () => {
      db.delete(adminSessions).where(lte(adminSessions.expiresAt, now.toISOString())).run();
      db.insert(adminSessions)
        .values({ tokenHash: sha256(token), keyHash, createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + adminSessionSeconds * 1000).toISOString() })
        .run();
    });
    return token;
  }

  function principal(token: string): Principal | undefined {
    const row = db
      .select({ keyHash: adminSessions.keyHash })
      .from(adminSessions)
      .where(and(eq(adminSessions.tokenHash, sha256(token)), gt(adminSessions.expiresAt, clock.now().toISOString())))
      .get();
    return row ? keys.principalOf(row.keyHash) : undefined;
  }

  function close(token: string): void {
    db.delete(adminSessions).where(eq(adminSessions.tokenHash, sha256(token))).run();
  }

  return { open, principal, close };
}
