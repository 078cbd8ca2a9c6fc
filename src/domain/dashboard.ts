import type { Db } from '../db/client.js';
import { throttleMark } from '../delivery/worker.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Clock } from './clock.js';

/**
 * What the organizer dashboard needs beyond the campaign's stats: how many of a target's
 * queued letters are waiting for its hourly limit rather than for the worker.
 */
export function createDeliveryPanel(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  // The worker gives a letter over the limit a later slot and marks it (last_error): counting those
  // marks, not recomputing the limit, keeps the dashboard in step with what the worker will do.
  const waitingForLimit = db.$client
    .prepare(
      `SELECT count(*) FROM outbox WHERE status = 'queued' AND lane = 1 AND next_attempt_at > ? AND target_id = ?
         AND kind = 'letter' AND last_error LIKE ? || '%'`,
    )
    .pluck();

  /** Queued letters the worker has deferred under the target's hourly limit (none when the campaign sets no limit). */
  function throttled(campaign: Pick<Campaign, 'delivery'>, targetId: string, queued: number): number {
    if (!campaign.delivery.perTargetPerHour || queued === 0) return 0;
    return Math.min(queued, waitingForLimit.get(clock.now().toISOString(), targetId, throttleMark) as number);
  }

  return { throttled };
}
