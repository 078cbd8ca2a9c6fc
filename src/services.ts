import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { createCampaignService } from './domain/campaigns.js';
import type { Clock } from './domain/clock.js';
import { createKeyService } from './domain/keys.js';
import { createTargetService } from './domain/targets.js';
import { createTemplateService } from './domain/templates.js';

/** Every domain service, built once per app from explicit dependencies: no module-level state. */
export function createServices(deps: { db: Db; clock: Clock; config: Config }) {
  const { db, clock, config } = deps;
  const keys = createKeyService({ db, clock, adminKey: config.ADMIN_API_KEY });
  const campaigns = createCampaignService({ db, clock });
  const targets = createTargetService({ db, clock, campaigns });
  const templates = createTemplateService({ db, clock, campaigns, targets });
  return { keys, campaigns, targets, templates };
}

export type Services = ReturnType<typeof createServices>;
