import { createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../store/index.js';

/** A per-installation key, generated on first start and kept in the database. */
export async function loadSecret(settings: Store['settings'], name: string): Promise<Buffer> {
  const existing = await settings.get(name);
  if (existing) return Buffer.from(existing, 'base64url');
  await settings.putIfAbsent(name, randomBytes(32).toString('base64url'));
  return Buffer.from((await settings.get(name))!, 'base64url');
}

/**
 * A hash keyed with an installation secret: the same value hashes alike within one installation
 * (so it can be looked up) but cannot be matched against a table of hashed addresses made elsewhere.
 */
export function keyedHash(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/**
 * Unsubscribe links must keep working in every mail a supporter ever got, so the token is
 * derived (HMAC of the supporter id) rather than random; only its hash is stored for lookup.
 */
export function unsubscribeToken(key: Buffer, supporterId: string): string {
  return createHmac('sha256', key).update(`unsubscribe:${supporterId}`).digest('base64url');
}
