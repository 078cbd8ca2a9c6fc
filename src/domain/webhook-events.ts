import type { WebhookEventType } from '../db/schema.js';
import type { Store } from '../store/index.js';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import type { Committing, LetterMove } from './letter-lifecycle.js';

/**
 * What an event says, beside the campaign's id and slug (added when it is written): ids,
 * statuses, countries and channels only. There is no field for a supporter's name, address,
 * city, note or IP, so none can reach a receiver by accident.
 */
export type WebhookData = Record<string, string | boolean | null>;

export interface WebhookEvent {
  type: WebhookEventType;
  campaignId: string;
  /** When it happened (ISO 8601): the body's `timestamp`. */
  at: string;
  data: WebhookData;
}

/** The webhook event a letter move is, if any: confirmed (or accepted without confirmation), sent, failed, bounced. */
function letterEvent(m: LetterMove): WebhookEventType | undefined {
  if (m.to === 'queued') return m.from === null || m.from === 'pending_confirmation' ? 'letter.confirmed' : undefined;
  const byStatus: Partial<Record<string, WebhookEventType>> = { sent: 'letter.sent', failed: 'letter.failed', bounced: 'letter.bounced' };
  return byStatus[m.to];
}

/**
 * Writes webhook deliveries, one per event and subscribed endpoint, in the transaction that
 * made the events (the caller's: every statement here joins it). A crash before the commit loses
 * the event together with what it reports; after it, the dispatcher finds the delivery queued.
 * The subscriptions are read once per transaction (one cheap read when nobody subscribed).
 */
export function createWebhookEvents(deps: { store: Pick<Store, 'webhooks'>; clock: Clock }) {
  const repo = deps.store.webhooks;

  async function write(events: WebhookEvent[], countries?: () => Promise<Map<string, string>>): Promise<void> {
    if (events.length === 0) return;
    const subscriptions = await repo.subscriptions();
    if (subscriptions.length === 0) return;
    const wanted = events.map((e) => ({ e, to: subscriptions.filter((s) => (s.campaignId === null || s.campaignId === e.campaignId) && s.events.includes(e.type)) }));
    if (!wanted.some((w) => w.to.length > 0)) return;
    const slugs = await repo.campaignSlugs([...new Set(events.map((e) => e.campaignId))]);
    const byLetter = countries ? await countries() : new Map<string, string>();
    const at = deps.clock.now().toISOString();
    for (const { e, to } of wanted) {
      if (to.length === 0) continue;
      const data = { campaignId: e.campaignId, campaignSlug: slugs.get(e.campaignId) ?? null, ...e.data };
      if (typeof e.data.letterId === 'string' && !('country' in e.data)) Object.assign(data, { country: byLetter.get(e.data.letterId) ?? null });
      const payload = JSON.stringify({ type: e.type, timestamp: e.at, data });
      for (const s of to) await repo.insertDelivery({ id: newId('msg'), endpointId: s.id, event: e.type, payload, at });
    }
  }

  return {
    /** Inside a transaction: queues `events` for the endpoints that subscribed to them. */
    emit: (events: WebhookEvent[]) => write(events),
    /** The lifecycle's committing hook: letter moves and domain events of one transaction. */
    async record(c: Committing): Promise<void> {
      const at = deps.clock.now().toISOString();
      const events: WebhookEvent[] = [];
      for (const m of c.moves) {
        const type = letterEvent(m);
        if (type) events.push({ type, campaignId: m.campaignId, at, data: { letterId: m.letterId, targetId: m.targetId, status: m.to } });
      }
      for (const e of c.events) events.push({ type: e.type, campaignId: e.campaignId, at: e.at, data: { ...e.data } });
      const letterIds = events.flatMap((e) => (typeof e.data.letterId === 'string' ? [e.data.letterId] : []));
      await write(events, () => repo.letterCountries(letterIds));
    },
  };
}

export type WebhookEvents = ReturnType<typeof createWebhookEvents>;
