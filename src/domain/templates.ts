import { invalid, notFound } from '../errors.js';
import { checkTemplate } from '../render/letter-engine.js';
import type { CreateTemplate, PreviewRequest, Template } from '../schemas/template.js';
import type { Campaign } from '../schemas/campaign.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import type { Store } from '../store/index.js';
import { createReadCache } from './read-cache.js';
import { renderLetter } from './render-letter.js';
import type { TargetService } from './targets.js';

export function createTemplateService(deps: { store: Pick<Store, 'templates' | 'dataVersion'>; clock: Clock; campaigns: CampaignService; targets: TargetService }) {
  const { clock, campaigns, targets } = deps;
  const repo = deps.store.templates;
  // Every submission chooses a template: prepared once and cached per campaign (templates are
  // immutable versions; the list only grows, and create() drops the cache).
  const cache = createReadCache<Template[]>(deps.store.dataVersion);

  async function list(campaignId: string): Promise<Template[]> {
    await campaigns.get(campaignId);
    return (await cache.get(campaignId, () => repo.ofCampaign(campaignId)))!;
  }

  async function get(campaignId: string, id: string): Promise<Template> {
    const row = await repo.byId(campaignId, id);
    if (!row) throw notFound('Template');
    return row;
  }

  /** The chosen template, or the campaign's first one in its own locale (else its first). */
  async function choose(campaignId: string, locale: string, id?: string): Promise<Template> {
    if (id) return get(campaignId, id);
    const all = await list(campaignId);
    const pick = all.find((t) => t.locale === locale) ?? all[0];
    if (!pick) throw invalid('This campaign has no letter template yet');
    return pick;
  }

  /** Templates are checked against API.md's allowed fields and helpers before they are stored. */
  async function create(campaignId: string, input: CreateTemplate): Promise<Template> {
    await campaigns.get(campaignId);
    const problems = [...checkTemplate(input.subject, 'subject'), ...checkTemplate(input.body, 'body')];
    if (problems.length > 0) throw invalid('The template uses fields or constructs that letters may not use', problems);
    try {
      return await repo.insert({ id: newId('tpl'), campaignId, ...input, createdAt: clock.now().toISOString() });
    } finally {
      cache.clear();
    }
  }

  /** The template and target a preview renders: the ones asked for, else the campaign's defaults. */
  async function letterParts(campaign: Campaign, req: { templateId?: string; targetId?: string }) {
    const template = await choose(campaign.id, campaign.locale, req.templateId);
    const target = req.targetId ? await targets.get(campaign.id, req.targetId) : (await targets.list(campaign.id))[0];
    if (!target) throw invalid('This campaign has no one to write to yet');
    return { template, target };
  }

  async function preview(campaignId: string, req: PreviewRequest) {
    const campaign = await campaigns.get(campaignId);
    const { template, target } = await letterParts(campaign, req);
    return renderLetter(campaign, template, target, req.supporter, clock.now());
  }

  return { list, get, choose, create, letterParts, preview };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
