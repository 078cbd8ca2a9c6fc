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
  function open(presentedKey: string): string | undefined {
    const keyHash = sha256(presentedKey);
    if (!keys.principalOf(keyHash)) return undefined;
    const now = clock.now();
    const token = newSecret();
    const at = now.toISOString();
    const expiresAt = new Date(now.getTime() + adminSessionSeconds * 1000).toISOString();
    store.transaction(() => store.sessions.replaceExpired({ tokenHash: sha256(token), keyHash, createdAt: at, expiresAt }, at));
    return token;
  }

  function principal(token: string): Principal | undefined {
    const keyHash = store.sessions.keyHashOf(sha256(token), clock.now().toISOString());
    return keyHash ? keys.principalOf(keyHash) : undefined;
  }

  function close(token: string): void {
    store.sessions.remove(sha256(token));
  }

  return { open, principal, close };
}
