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

  function requireAddress(campaignId: string, t: { email?: string | null; postalAddress?: unknown }) {
    const mode = campaigns.get(campaignId).delivery.mode;
    const missing = missingAddress(mode, t);
    if (missing) {
      throw invalid(`A target of a campaign in ${mode} mode needs ${missing === 'email' ? 'an email address' : 'a postal address'}`, [
        { path: missing, message: `required in ${mode} delivery mode` },
      ]);
    }
  }

  function get(campaignId: string, id: string): Target {
    const row = repo.liveById(campaignId, id);
    if (!row) throw notFound('Target');
    return row;
  }

  function list(campaignId: string): Target[] {
    campaigns.get(campaignId);
    return cache.get(campaignId, () => repo.live(campaignId))!;
  }

  function create(campaignId: string, input: CreateTarget): Target {
    requireAddress(campaignId, input);
    const at = now();
    cache.clear();
    return repo.insert({
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
    });
  }

  function update(campaignId: string, id: string, patch: UpdateTarget): Target {
    const current = get(campaignId, id);
    requireAddress(campaignId, { ...current, ...patch });
    cache.clear();
    return repo.update(id, { ...patch, updatedAt: now() });
  }

  /** Soft delete: letters already written keep their target; no new letters can choose it. */
  function remove(campaignId: string, id: string): void {
    get(campaignId, id);
    cache.clear();
    repo.update(id, { deletedAt: now() });
  }

  return { get, list, create, update, remove };
}

export type TargetService = ReturnType<typeof createTargetService>;
