import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Clock } from './clock.js';

/**
 * Values the server hands to a browser and reads back unchanged, with no cookie and no row:
 * sealed with AES-256-GCM under an installation key (nobody else can read or forge them) and an
 * expiry inside the seal. The "check your inbox" page after a post/redirect/get carries what the
 * supporter typed this way, so a reload shows the page again without sending anything.
 */
export function createSealer(key: Buffer, clock: Clock) {
  if (key.length !== 32) throw new Error('a sealing key is 32 bytes');

  function seal(value: unknown, ttlMs: number): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const plain = Buffer.from(JSON.stringify({ v: value, x: clock.now().getTime() + ttlMs }), 'utf8');
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The value, or null for anything forged, altered, expired or not of the expected shape. */
  function open<S extends z.ZodType>(token: string, schema: S): z.infer<S> | null {
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 29) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const { v, x } = JSON.parse(plain) as { v: unknown; x: number };
      if (typeof x !== 'number' || clock.now().getTime() >= x) return null;
      const parsed = schema.safeParse(v);
      return parsed.success ? (parsed.data as z.infer<S>) : null;
    } catch {
      return null;
    }
  }

  return { seal, open };
}

export type Sealer = ReturnType<typeof createSealer>;
