import type { WebhookEvents } from './webhook-events.js';
import { notFound } from '../errors.js';
import type { CreateResponse, TargetResponse } from '../schemas/response.js';
import type { Store } from '../store/index.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import type { SupporterService } from './supporters.js';
import type { TargetService } from './targets.js';

/** A date alone is read as that day at noon UTC, so it shows as the same day in every time zone a page may use. */
const asInstant = (receivedAt: string) => (/^\d{4}-\d\d-\d\d$/.test(receivedAt) ? `${receivedAt}T12:00:00.000Z` : new Date(receivedAt).toISOString());

/** What officials answered: recorded per target, public or not, optionally mailed to the people who wrote to them. */
export function createResponseService(deps: {
  store: Pick<Store, 'responses' | 'transaction'>;
  clock: Clock;
  campaigns: CampaignService;
  targets: Pick<TargetService, 'get'>;
  webhookEvents: Pick<WebhookEvents, 'emit'>;
  supporters: Pick<SupporterService, 'notifyWriters'>;
}) {
  const { store, clock, campaigns, targets, supporters, webhookEvents } = deps;
  const repo = store.responses;
  const visible = ({ campaignId: _c, ...r }: TargetResponse & { campaignId: string }): TargetResponse => r;

  async function record(campaignId: string, targetId: string, input: CreateResponse): Promise<TargetResponse> {
    const campaign = await campaigns.get(campaignId);
    const target = await targets.get(campaignId, targetId);
    const response = {
      id: newId('rsp'),
      campaignId,
      targetId,
      receivedAt: asInstant(input.receivedAt),
      channel: input.channel,
      summary: input.summary,
      public: input.public,
      createdAt: clock.now().toISOString(),
    };
    // The mails are queued in the same transaction: a response is never announced without being stored.
    await store.transaction(async () => {
      await repo.insert(response);
      await webhookEvents.emit([
        {
          type: 'response.recorded',
          campaignId,
          at: response.createdAt,
          data: { responseId: response.id, targetId: target.id, channel: response.channel, public: response.public, receivedAt: response.receivedAt },
        },
      ]);
      if (input.notify) await supporters.notifyWriters(campaign, target.id, `${target.name} responded`, input.summary);
    });
    return visible(response);
  }

  async function list(campaignId: string, targetId: string): Promise<TargetResponse[]> {
    await targets.get(campaignId, targetId);
    return (await repo.ofTarget(campaignId, targetId)).map(visible);
  }

  async function remove(campaignId: string, targetId: string, responseId: string): Promise<void> {
    const response = await repo.get(campaignId, responseId);
    if (!response || response.targetId !== targetId) throw notFound('Response');
    await repo.remove(response.id);
  }

  return { record, list, remove };
}

export type ResponseService = ReturnType<typeof createResponseService>;
