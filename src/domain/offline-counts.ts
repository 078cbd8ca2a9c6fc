import { notFound } from '../errors.js';
import type { CreateOfflineCount, OfflineCount } from '../schemas/offline-count.js';
import type { Store } from '../store/index.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { counterNames, type Counters } from './counters.js';
import type { CountEvents } from './events.js';
import { newId } from './ids.js';

/**
 * Supporters and letters counted outside Chorus. Each entry moves the offline counters in its
 * own transaction, so the public count stays a few primary-key reads; deleting an entry is how
 * an organizer corrects one.
 */
export function createOfflineCountService(deps: {
  store: Pick<Store, 'offlineCounts' | 'transaction'>;
  clock: Clock;
  campaigns: CampaignService;
  counters: Pick<Counters, 'bump'>;
  events: Pick<CountEvents, 'changed'>;
}) {
  const { store, clock, campaigns, counters, events } = deps;
  const repo = store.offlineCounts;
  const visible = ({ campaignId: _c, ...entry }: OfflineCount & { campaignId: string }): OfflineCount => entry;
  const deltas = (e: { supporters: number; letters: number }, sign: 1 | -1) => ({
    [counterNames.offlineSupporters]: sign * e.supporters,
    [counterNames.offlineLetters]: sign * e.letters,
  });

  async function add(campaignId: string, input: CreateOfflineCount): Promise<OfflineCount> {
    await campaigns.get(campaignId);
    const at = clock.now().toISOString();
    const entry = { id: newId('off'), campaignId, supporters: input.supporters, letters: input.letters, source: input.source, note: input.note ?? null, createdAt: at };
    await store.transaction(async () => {
      await repo.insert(entry);
      await counters.bump(campaignId, deltas(entry, 1), at);
    });
    events.changed(campaignId);
    return visible(entry);
  }

  async function list(campaignId: string): Promise<OfflineCount[]> {
    await campaigns.get(campaignId);
    return (await repo.ofCampaign(campaignId)).map(visible);
  }

  async function remove(campaignId: string, entryId: string): Promise<void> {
    await campaigns.get(campaignId);
    await store.transaction(async () => {
      const entry = await repo.get(campaignId, entryId);
      if (!entry) throw notFound('Offline count');
      await repo.remove(entry.id);
      await counters.bump(campaignId, deltas(entry, -1), clock.now().toISOString());
    });
    events.changed(campaignId);
  }

  return { add, list, remove };
}

export type OfflineCountService = ReturnType<typeof createOfflineCountService>;
