import { notFound } from '../errors.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Target } from '../schemas/target.js';
import type { Template } from '../schemas/template.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { letterContext, renderContext, type ComposedLetter, type Signer } from './render-letter.js';
import type { TemplateService } from './templates.js';

/** Stand-ins for what the supporter has not typed yet, in the page's language. */
interface PreviewPlaceholders {
  name: string;
  countryName: string;
}

/**
 * The letter as it will be sent, while the form is still being filled in: the same template,
 * context and content rules as a submission, with placeholders where the name or country is
 * still missing. Stores nothing.
 */
export function previewLetter(
  campaign: Campaign,
  template: Template,
  target: Target,
  signer: Partial<Signer>,
  placeholders: PreviewPlaceholders,
  date: Date,
): ComposedLetter {
  // 'ZZ' (unknown region) only holds the place of the country until its name is replaced.
  const filled: Signer = { ...signer, name: signer.name || placeholders.name, country: signer.country || 'ZZ' };
  const ctx = letterContext(campaign, target, filled, date, template.locale);
  if (!signer.country) ctx.supporter.countryName = placeholders.countryName;
  return renderContext(campaign, template, filled, ctx);
}

export interface PreviewRequest {
  templateId?: string;
  targetId?: string;
  supporter: Partial<Signer>;
}

/** Previews for the public action page: any campaign with a public page, one chosen target (else its first). */
export function createLetterPreviews(deps: { campaigns: CampaignService; templates: TemplateService; clock: Clock }) {
  const { campaigns, templates, clock } = deps;

  async function forAction(slug: string, req: PreviewRequest, placeholders: PreviewPlaceholders) {
    const campaign = await campaigns.getBySlug(slug);
    if (!campaign || campaign.status === 'draft') throw notFound('Campaign');
    const { template, target } = await templates.letterParts(campaign, req);
    const now = clock.now();
    const letter = await templates.bilingual(template, target, (t) => previewLetter(campaign, t, target, req.supporter, placeholders, now), typeof req.supporter.body === 'string');
    return { target, ...letter };
  }

  return { forAction };
}
