import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Store } from './store/index.js';
import { createOutboxWriter } from './delivery/outbox.js';
import { createActionService } from './domain/actions.js';
import { createAdminSessions } from './domain/admin-sessions.js';
import { createCampaignService, type CampaignHooks } from './domain/campaigns.js';
import type { Clock } from './domain/clock.js';
import { createConfirmationService } from './domain/confirmations.js';
import { createCounters } from './domain/counters.js';
import { createCountEvents } from './domain/events.js';
import { dataVersionOf } from './domain/read-cache.js';
import { createGroupCommit } from './domain/group-commit.js';
import { createKeyService } from './domain/keys.js';
import { createLetterLifecycle } from './domain/letter-lifecycle.js';
import { createLetterService } from './domain/letters.js';
import { loadSecret } from './domain/secrets.js';
import { createStatsService } from './domain/stats.js';
import { createSupporterMail } from './domain/supporter-mail.js';
import { createSupporterService } from './domain/supporters.js';
import { createTargetService } from './domain/targets.js';
import { createTemplateService } from './domain/templates.js';

/** Every domain service, built once per app from explicit dependencies: no module-level state. */
export function createServices(deps: { db: Db; store: Store; clock: Clock; config: Config }) {
  const { db, store, clock, config } = deps;
  const hooks: CampaignHooks = {};
  const keys = createKeyService({ db, clock, adminKey: config.ADMIN_API_KEY });
  const adminSessions = createAdminSessions({ db, clock, keys });
  const campaigns = createCampaignService({ db, clock, hooks });
  const targets = createTargetService({ db, clock, campaigns });
  const templates = createTemplateService({ db, clock, campaigns, targets });
  const counters = createCounters(store.counters);
  const lifecycle = createLetterLifecycle({ db, counters });
  const outbox = createOutboxWriter(store);
  const mail = createSupporterMail({ db, outbox, publicUrl: config.PUBLIC_URL });
  const groupCommit = createGroupCommit(db, counters, lifecycle.announce);
  // The ticker reads counts through the action service; every committed letter move marks its campaign.
  const events = createCountEvents({ readCount: (campaignId) => actions.countOf(campaigns.get(campaignId)), foreignCommits: dataVersionOf(db) });
  lifecycle.onMoved(({ campaignId }) => events.changed(campaignId));
  const actions = createActionService({ db, clock, campaigns, targets, templates, counters, lifecycle, outbox, mail, groupCommit });
  const confirmations = createConfirmationService({ db, clock, campaigns, lifecycle, outbox, mail, groupCommit });
  const supporters = createSupporterService({
    db,
    clock,
    lifecycle,
    mail,
    unsubscribeKey: loadSecret(db, 'unsubscribe-key'),
    retention: { bodyDays: config.RETENTION_BODY_DAYS, contactDays: config.RETENTION_CONTACT_DAYS },
  });
  hooks.onNotifyUpdate = (campaign, update) => supporters.notifyUpdate(campaign, update);
  const letters = createLetterService({ db, clock, lifecycle });
  const stats = createStatsService({ db, campaigns, targets, counters });
  return { keys, adminSessions, campaigns, targets, templates, counters, lifecycle, outbox, events, groupCommit, actions, confirmations, supporters, letters, stats };
}

export type Services = ReturnType<typeof createServices>;
