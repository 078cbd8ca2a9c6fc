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

  function add(campaignId: string, input: CreateOfflineCount): OfflineCount {
    campaigns.get(campaignId);
    const at = clock.now().toISOString();
    const entry = { id: newId('off'), campaignId, supporters: input.supporters, letters: input.letters, source: input.source, note: input.note ?? null, createdAt: at };
    store.transaction(() => {
      repo.insert(entry);
      counters.bump(campaignId, deltas(entry, 1), at);
    });
    events.changed(campaignId);
    return visible(entry);
  }

  function list(campaignId: string): OfflineCount[] {
    campaigns.get(campaignId);
    return repo.ofCampaign(campaignId).map(visible);
  }

  function remove(campaignId: string, entryId: string): void {
    campaigns.get(campaignId);
    store.transaction(() => {
      const entry = repo.get(campaignId, entryId);
      if (!entry) throw notFound('Offline count');
      repo.remove(entry.id);
      counters.bump(campaignId, deltas(entry, -1), clock.now().toISOString());
    });
    events.changed(campaignId);
  }

  return { add, list, remove };
}

export type OfflineCountService = ReturnType<typeof createOfflineCountService>;
