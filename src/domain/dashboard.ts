import type { Campaign } from '../schemas/campaign.js';
import type { Store } from '../store/index.js';
import type { Clock } from './clock.js';

/**
 * What the organizer dashboard needs beyond the campaign's stats: how many of a target's
 * queued letters are waiting for its hourly limit rather than for the worker.
 */
export function createDeliveryPanel(deps: { store: Pick<Store, 'outbox'>; clock: Clock }) {
  const { store, clock } = deps;

  /** Queued letters the worker has deferred under the target's hourly limit (none when the campaign sets no limit). */
  async function throttled(campaign: Pick<Campaign, 'delivery'>, targetId: string, queued: number): Promise<number> {
    if (!campaign.delivery.perTargetPerHour || queued === 0) return 0;
    // The worker gives a letter over the limit a later slot and marks it: counting those marks,
    // not recomputing the limit, keeps the dashboard in step with what the worker will do.
    return Math.min(queued, await store.outbox.throttledFor(targetId, clock.now().toISOString()));
  }

  return { throttled };
}
