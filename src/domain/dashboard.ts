import type { Db } from '../db/client.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Clock } from './clock.js';

/**
 * What the organizer dashboard needs beyond the campaign's stats: how many of a target's
 * queued letters are waiting for its hourly limit rather than for the worker.
 */
export function createDeliveryPanel(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  // The outbox_target_sent index answers this with a range scan over one hour of one target.
  const sentLastHour = db.$client.prepare('SELECT count(*) FROM outbox WHERE target_id = ? AND sent_at > ?').pluck();

  /** Queued letters beyond what the target may still receive this hour (none when the campaign sets no limit). */
  function throttled(campaign: Pick<Campaign, 'delivery'>, targetId: string, queued: number): number {
    const limit = campaign.delivery.perTargetPerHour;
    if (!limit || queued === 0) return 0;
    const hourAgo = new Date(clock.now().getTime() - 60 * 60 * 1000).toISOString();
    const room = Math.max(0, limit - (sentLastHour.get(targetId, hourAgo) as number));
    return Math.max(0, queued - room);
  }

  return { throttled };
}

export type DeliveryPanel = ReturnType<typeof createDeliveryPanel>;
