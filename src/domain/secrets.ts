import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../db/client.js';
import { settings } from '../db/schema.js';
import { eq } from 'drizzle-orm';

/** A per-installation key, generated on first start and kept in the database. */
export function loadSecret(db: Db, name: string): Buffer {
  const existing = db.select().from(settings).where(eq(settings.name, name)).get();
  if (existing) return Buffer.from(existing.value, 'base64url');
  db.insert(settings).values({ name, value: randomBytes(32).toString('base64url') }).onConflictDoNothing().run();
  return Buffer.from(db.select().from(settings).where(eq(settings.name, name)).get()!.value, 'base64url');
}

/**
 * Unsubscribe links must keep working in every mail a supporter ever got, so the token is
 * derived (HMAC of the supporter id) rather than random; only its hash is stored for lookup.
 */
export function unsubscribeToken(key: Buffer, supporterId: string): string {
  return createHmac('sha256', key).update(`unsubscribe:${supporterId}`).digest('base64url');
}
