import type { Config } from './config.js';
import type { Store } from './store/index.js';
import { createOutboxWriter } from './delivery/outbox.js';
import { parseSender } from './delivery/messages.js';
import { createActionService } from './domain/actions.js';
import { createBounceService } from './domain/bounces.js';
import { createAdminSessions } from './domain/admin-sessions.js';
import { createCampaignService, type CampaignHooks } from './domain/campaigns.js';
import type { Clock } from './domain/clock.js';
import { createConfirmationService } from './domain/confirmations.js';
import { createCounters } from './domain/counters.js';
import { createCountEvents } from './domain/events.js';
import { createGroupCommit } from './store/group-commit.js';
import { createKeyService } from './domain/keys.js';
import { createLetterLifecycle } from './domain/letter-lifecycle.js';
import { createOfflineCountService } from './domain/offline-counts.js';
import { createResponseService } from './domain/responses.js';
import { createLetterService } from './domain/letters.js';
import { createSealer } from './domain/sealed.js';
import { loadSecret } from './domain/secrets.js';
import { createStatsService } from './domain/stats.js';
import { createSupporterMail } from './domain/supporter-mail.js';
import { createSupporterService } from './domain/supporters.js';
import { createTargetService } from './domain/targets.js';
import { createTemplateService } from './domain/templates.js';
import { systemLookup, type Lookup } from './domain/webhook-address.js';
import { createWebhookEvents } from './domain/webhook-events.js';
import { createWebhookService } from './domain/webhooks.js';

/**
 * Every domain service, built once per app from explicit dependencies: no module-level state.
 * Async because the installation's secrets are read from (or first written to) storage.
 * `log` gets what the count ticker has no caller to report to (a count read that failed).
 */
export async function createServices(deps: { store: Store; clock: Clock; config: Config; lookup?: Lookup; log?: { error(obj: object, msg: string): void } }) {
  const { store, clock, config } = deps;
  const capKey = await loadSecret(store.settings, 'mail-cap-key');
  const unsubscribeKey = await loadSecret(store.settings, 'unsubscribe-key');
  // What the pages hand to a browser and read back (the "check your inbox" page after a form post).
  const sealer = createSealer(await loadSecret(store.settings, 'page-seal-key'), clock);
  const hooks: CampaignHooks = {};
  const keys = createKeyService({ keys: store.keys, clock, adminKey: config.ADMIN_API_KEY });
  const adminSessions = createAdminSessions({ store, clock, keys });
  const campaigns = createCampaignService({ store, clock, hooks });
  const targets = createTargetService({ store, clock, campaigns });
  const templates = createTemplateService({ store, clock, campaigns, targets });
  const counters = createCounters(store.counters);
  // Webhook deliveries are written in the transaction of what they report: letter moves and counted supporters through the lifecycle, the rest below.
  const webhookEvents = createWebhookEvents({ store, clock });
  const lifecycle = createLetterLifecycle({ store, counters, webhooks: webhookEvents });
  hooks.onChanged = (campaign, at, updateId) =>
    webhookEvents.emit([{ type: 'campaign.updated', campaignId: campaign.id, at, data: { status: campaign.status, ...(updateId ? { updateId } : {}) } }]);
  const webhooks = createWebhookService({ store, clock, campaigns, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, lookup: deps.lookup ?? systemLookup });
  const outbox = createOutboxWriter(store);
  const mail = createSupporterMail({ mailCaps: store.mailCaps, outbox, publicUrl: config.PUBLIC_URL, capKey });
  const groupCommit = createGroupCommit(store.sql, counters, lifecycle);
  // The ticker reads the published counts through the action service; every committed letter move marks its campaign.
  const events = createCountEvents({
    readCount: async (campaignId) => actions.publishedCount(await campaigns.get(campaignId)),
    lagging: async (campaignId) => actions.lags(await campaigns.get(campaignId)),
    foreignCommits: store.dataVersion,
    log: deps.log,
  });
  lifecycle.onMoved(({ campaignId }) => events.changed(campaignId));
  const actions = createActionService({ store, clock, campaigns, targets, templates, counters, lifecycle, outbox, mail, groupCommit });
  const confirmations = createConfirmationService({ store, clock, campaigns, lifecycle, outbox, mail, groupCommit });
  const supporters = createSupporterService({
    store,
    clock,
    lifecycle,
    mail,
    unsubscribeKey,
    retention: { bodyDays: config.RETENTION_BODY_DAYS, contactDays: config.RETENTION_CONTACT_DAYS },
  });
  hooks.onNotifyUpdate = (campaign, update) => supporters.notifyUpdate(campaign, update);
  const letters = createLetterService({ store, clock, lifecycle, outbox, targets });
  const responses = createResponseService({ store, clock, campaigns, targets, supporters, webhookEvents });
  const offlineCounts = createOfflineCountService({ store, clock, campaigns, counters, events });
  const stats = createStatsService({ store, campaigns, targets, counters });
  // Letters' Message-IDs end in MAIL_FROM's domain (src/delivery/messages.ts): reports naming another were not about ours.
  const bounces = createBounceService({ store, clock, lifecycle, messageDomain: parseSender(config.MAIL_FROM).domain });
  return { sealer, keys, bounces, adminSessions, campaigns, targets, templates, counters, lifecycle, outbox, events, groupCommit, actions, confirmations, supporters, letters, offlineCounts, responses, stats, webhooks, webhookEvents };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
