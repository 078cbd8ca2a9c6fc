import type { Store } from '../store/index.js';
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
export function createAdminSessions(deps: { store: Pick<Store, 'sessions' | 'transaction'>; clock: Clock; keys: KeyService }) {
  const { store, clock, keys } = deps;

  /** Signs in with an API key; returns the session token for the cookie, or nothing for a bad key. */
  async function open(presentedKey: string): Promise<string | undefined> {
    const keyHash = sha256(presentedKey);
    if (!(await keys.principalOf(keyHash))) return undefined;
    const now = clock.now();
    const token = newSecret();
    const at = now.toISOString();
    const expiresAt = new Date(now.getTime() + adminSessionSeconds * 1000).toISOString();
    await store.transaction(() => store.sessions.replaceExpired({ tokenHash: sha256(token), keyHash, createdAt: at, expiresAt }, at));
    return token;
  }

  async function principal(token: string): Promise<Principal | undefined> {
    const keyHash = await store.sessions.keyHashOf(sha256(token), clock.now().toISOString());
    return keyHash ? keys.principalOf(keyHash) : undefined;
  }

  async function close(token: string): Promise<void> {
    await store.sessions.remove(sha256(token));
  }

  return { open, principal, close };
}
