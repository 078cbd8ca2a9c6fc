import { createHash, randomBytes } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/**
 * Opaque ids that sort by creation time (a base-36 millisecond prefix, a base-36 sequence
 * within the millisecond, then randomness), so the id itself is a stable pagination cursor,
 * and ids made by one process in the same millisecond keep the order they were made in (two
 * targets added together stay first and second). 21 characters after the prefix, as before.
 */
export function newId(prefix: string): string {
  let now = Date.now();
  if (now <= lastMs) {
    // The same millisecond (or a clock stepped back): stay on the last one and count up.
    now = lastMs;
    sequence += 1;
    if (sequence >= 36 ** 3) {
      now = lastMs += 1;
      sequence = 0;
    }
  } else {
    lastMs = now;
    sequence = 0;
  }
  return `${prefix}_${now.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(3, '0')}${randomBytes(7).toString('base64url').slice(0, 9)}`;
}

/** A secret with 256 random bits: tokens in links and API keys. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
