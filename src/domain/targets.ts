import type { DeliveryMode } from '../db/schema.js';
import { invalid, notFound } from '../errors.js';
import type { CreateTarget, Target, UpdateTarget } from '../schemas/target.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import type { Store } from '../store/index.js';
import { createReadCache } from './read-cache.js';

/** Which address a delivery mode needs that the target lacks, if any. */
export function missingAddress(
  mode: DeliveryMode,
  t: { email?: string | null; postalAddress?: unknown },
): 'email' | 'postalAddress' | undefined {
  if (mode === 'postal') return t.postalAddress ? undefined : 'postalAddress';
  return t.email ? undefined : 'email';
}

export function createTargetService(deps: { store: Pick<Store, 'targets' | 'dataVersion'>; clock: Clock; campaigns: CampaignService }) {
  const { clock, campaigns } = deps;
  const repo = deps.store.targets;
  const now = () => clock.now().toISOString();
  // Every submission reads its campaign's targets: cached, dropped by every write below.
  const cache = createReadCache<Target[]>(deps.store.dataVersion);

  async function requireAddress(campaignId: string, t: { email?: string | null; postalAddress?: unknown }) {
    const mode = (await campaigns.get(campaignId)).delivery.mode;
    const missing = missingAddress(mode, t);
    if (missing) {
      throw invalid(`A target of a campaign in ${mode} mode needs ${missing === 'email' ? 'an email address' : 'a postal address'}`, [
        { path: missing, message: `required in ${mode} delivery mode` },
      ]);
    }
  }

  async function get(campaignId: string, id: string): Promise<Target> {
    const row = await repo.liveById(campaignId, id);
    if (!row) throw notFound('Target');
    return row;
  }

  async function list(campaignId: string): Promise<Target[]> {
    await campaigns.get(campaignId);
    return (await cache.get(campaignId, () => repo.live(campaignId)))!;
  }

  /** Runs a write, then drops the cache: a list read while the write was under way may be the old one. */
  async function writing<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      cache.clear();
    }
  }

  async function create(campaignId: string, input: CreateTarget): Promise<Target> {
    await requireAddress(campaignId, input);
    const at = now();
    return writing(() =>
      repo.insert({
        id: newId('tgt'),
        campaignId,
        name: input.name,
        title: input.title,
        organization: input.organization,
        email: input.email ?? null,
        postalAddress: input.postalAddress ?? null,
        salutation: input.salutation ?? null,
        locale: input.locale ?? null,
        countries: input.countries ?? null,
        createdAt: at,
        updatedAt: at,
      }),
    );
  }

  async function update(campaignId: string, id: string, patch: UpdateTarget): Promise<Target> {
    const current = await get(campaignId, id);
    await requireAddress(campaignId, { ...current, ...patch });
    return (await writing(() => repo.update(id, { ...patch, updatedAt: now() })))!;
  }

  /** Soft delete: letters already written keep their target; no new letters can choose it. */
  async function remove(campaignId: string, id: string): Promise<void> {
    await get(campaignId, id);
    await writing(() => repo.update(id, { deletedAt: now() }));
  }

  return { get, list, create, update, remove };
}

export type TargetService = ReturnType<typeof createTargetService>;
