import { timingSafeEqual } from 'node:crypto';
import { notFound } from '../errors.js';
import { scopes, type Scope } from '../schemas/key.js';
import type { Clock } from './clock.js';
import type { Store } from '../store/index.js';
import { newId, newSecret, sha256 } from './ids.js';

export interface Principal {
  keyId: string;
  scopes: readonly Scope[];
}

const equalHashes = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function createKeyService(deps: { keys: Store['keys']; clock: Clock; adminKey?: string }) {
  const { keys: repo, clock } = deps;
  const adminHash = deps.adminKey ? sha256(deps.adminKey) : undefined;

  /** Mints a key; the secret is returned this once and only its SHA-256 is stored. */
  async function mint(name: string, keyScopes: Scope[]) {
    const key = newSecret('chorus_');
    const row = await repo.insert({ id: newId('key'), name, keyHash: sha256(key), scopes: [...new Set(keyScopes)], createdAt: clock.now().toISOString() });
    const { keyHash: _hash, ...visible } = row;
    return { ...visible, scopes: visible.scopes as Scope[], key };
  }

  /**
   * Keys are looked up by the hash of what was presented (a random 256-bit secret, so the
   * index lookup reveals nothing useful), then compared in constant time.
   */
  async function authenticate(presented: string): Promise<Principal | undefined> {
    return principalOf(sha256(presented));
  }

  /** The principal of a key, known by its hash (also how a dashboard session re-checks its key). */
  async function principalOf(hash: string): Promise<Principal | undefined> {
    if (adminHash && equalHashes(hash, adminHash)) return { keyId: 'admin', scopes };
    const row = await repo.liveByHash(hash);
    if (!row || !equalHashes(row.keyHash, hash)) return undefined;
    return { keyId: row.id, scopes: row.scopes as Scope[] };
  }

  async function revoke(id: string): Promise<void> {
    if (!(await repo.revoke(id, clock.now().toISOString()))) throw notFound('API key');
  }

  /** Every key ever minted, newest first, without hashes (for the offline CLI). */
  async function list() {
    return repo.list();
  }

  return { mint, authenticate, principalOf, revoke, list };
}

export type KeyService = ReturnType<typeof createKeyService>;
