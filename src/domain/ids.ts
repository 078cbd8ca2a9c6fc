import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque ids that sort by creation time (a base-36 millisecond prefix, then randomness),
 * so the id itself is a stable pagination cursor.
 */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(9).toString('base64url')}`;
}

/** A secret with 256 random bits: tokens in links and API keys. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
