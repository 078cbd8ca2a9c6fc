import { randomBytes } from 'node:crypto';
import type { WebhookEventType } from '../db/schema.js';
import { conflict, invalid, notFound } from '../errors.js';
import type { Store } from '../store/index.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../store/webhooks.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import { checkWebhookUrl, WebhookAddressError, type Lookup } from './webhook-address.js';

export interface CreateWebhook {
  url: string;
  events: WebhookEventType[];
  campaignId?: string;
}

/** `whsec_` and the base64 of 32 random bytes: the key is the decoded part (Standard Webhooks). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** A delivery still failing this long after its event is given up, and its endpoint disabled; re-enabling resumes only younger ones. */
export const webhookRetryWindowMs = 3 * 24 * 3_600_000;

/** An endpoint as the API shows it: never its secret. */
const visible = ({ secret: _s, ...endpoint }: WebhookEndpointRow) => endpoint;
const logEntry = ({ payload: _p, leaseOwner: _o, leaseExpiresAt: _l, endpointId: _e, ...row }: WebhookDeliveryRow) => row;

/** Webhook endpoints for the organizer API: created (the secret shown once), listed, deleted, and their delivery log. */
export function createWebhookService(deps: {
  store: Pick<Store, 'webhooks' | 'transaction'>;
  clock: Clock;
  campaigns: Pick<CampaignService, 'get'>;
  allowPrivate: boolean;
  lookup: Lookup;
}) {
  const repo = deps.store.webhooks;

  async function create(input: CreateWebhook) {
    if (input.campaignId) await deps.campaigns.get(input.campaignId);
    try {
      await checkWebhookUrl(input.url, { allowPrivate: deps.allowPrivate, lookup: deps.lookup });
    } catch (err) {
      if (err instanceof WebhookAddressError) throw invalid('The webhook URL cannot be used', [{ path: 'url', message: err.message }]);
      throw err;
    }
    const row: WebhookEndpointRow = {
      id: newId('whk'),
      campaignId: input.campaignId ?? null,
      url: input.url,
      events: [...new Set(input.events)],
      secret: newWebhookSecret(),
      status: 'active',
      disabledAt: null,
      createdAt: deps.clock.now().toISOString(),
    };
    await repo.insertEndpoint(row);
    return { ...visible(row), secret: row.secret };
  }

  async function list(limit: number, cursor?: string) {
    const rows = await repo.endpoints(limit + 1, cursor);
    const items = rows.slice(0, limit).map(visible);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  async function remove(id: string): Promise<void> {
    const removed = await repo.removeEndpoint(id);
    if (!removed) throw notFound('Webhook');
  }

  /**
   * `status: active` enables a disabled endpoint again: deliveries of events still inside their 3
   * days resume now (`resumed`), older ones stay failed; events that happened while it was
   * disabled were never queued for it. `status: disabled` stops deliveries at once (those waiting
   * fail, and resume if it is enabled again within their 3 days). Setting the status it has is a
   * no-op that answers the same.
   */
  async function setStatus(id: string, status: WebhookEndpointRow['status']) {
    const now = deps.clock.now();
    const { row, resumed } = await deps.store.transaction(async () => {
      const current = await repo.endpoint(id);
      if (!current) throw notFound('Webhook');
      let resumed = 0;
      if (current.status !== status) {
        if (status === 'disabled') {
          await repo.disable(id, now.toISOString(), 'the endpoint was disabled by the organizer');
        } else {
          const windowStart = new Date(now.getTime() - webhookRetryWindowMs).toISOString();
          const done = await repo.enable(id, now.toISOString(), windowStart, 'expired: older than 3 days when the endpoint was enabled again');
          if (!done) throw conflict('The webhook endpoint changed meanwhile; try again');
          resumed = done.resumed;
        }
      }
      return { row: (await repo.endpoint(id))!, resumed };
    });
    return { ...visible(row), resumed };
  }

  async function deliveries(id: string, limit: number, cursor?: string) {
    if (!(await repo.endpoint(id))) throw notFound('Webhook');
    const rows = await repo.deliveries(id, limit + 1, cursor);
    const items = rows.slice(0, limit).map(logEntry);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  /** For the dashboard: the endpoints hearing a campaign, each with its latest `n` deliveries. */
  async function forCampaign(campaignId: string, n: number) {
    const rows = await repo.endpointsFor(campaignId);
    return await Promise.all(rows.map(async (e) => ({ ...visible(e), deliveries: (await repo.deliveries(e.id, n)).map(logEntry) })));
  }

  return { create, list, remove, setStatus, deliveries, forCampaign };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
