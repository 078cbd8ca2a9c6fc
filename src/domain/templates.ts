import { conflict, invalid, notFound } from '../errors.js';
import { checkTemplate } from '../render/letter-engine.js';
import type { CreateTemplate, LetterPreview, PreviewRequest, Template, UpdateTemplate } from '../schemas/template.js';
import type { Campaign } from '../schemas/campaign.js';
import type { Target } from '../schemas/target.js';
import type { CampaignService } from './campaigns.js';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import type { Store } from '../store/index.js';
import { createReadCache } from './read-cache.js';
import { renderLetter, templateFor, type ComposedLetter, type Signer } from './render-letter.js';
import type { TargetService } from './targets.js';

/** A field that failed a rule of templates, as the problem document lists it. */
type Problem = { path: string; message: string };

export function createTemplateService(deps: { store: Pick<Store, 'templates' | 'dataVersion'>; clock: Clock; campaigns: CampaignService; targets: TargetService }) {
  const { clock, campaigns, targets } = deps;
  const repo = deps.store.templates;
  // Every submission chooses a template: prepared once and cached per campaign (create, edit
  // and delete drop the cache; another process's commit does too).
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

  /** The chosen template, or the campaign's first original (not a translation) in its own locale, else its first original. */
  async function choose(campaignId: string, locale: string, id?: string): Promise<Template> {
    if (id) return get(campaignId, id);
    const all = await list(campaignId);
    const originals = all.filter((t) => !t.translationOf);
    const pick = originals.find((t) => t.locale === locale) ?? originals[0] ?? all[0];
    if (!pick) throw invalid('This campaign has no letter template yet');
    return pick;
  }

  /** The template a letter to `target` is rendered from (the chosen one's translation into the target's language, if any). */
  async function forTarget(chosen: Template, target: Pick<Target, 'locale'>): Promise<Template> {
    if (!target.locale || target.locale === chosen.locale) return chosen;
    return templateFor(chosen, await list(chosen.campaignId), target);
  }

  /**
   * The rules a template's text and its `translationOf` follow, for a new one (`self` absent)
   * and for an edit: fields and helpers from API.md only; a translation translates an original
   * of the same campaign into another locale, at most one per locale; a template that has
   * translations cannot become one.
   */
  async function check(campaignId: string, t: Pick<Template, 'locale' | 'subject' | 'body' | 'translationOf' | 'subjectVariants'>, self?: Template): Promise<void> {
    const problems: Problem[] = [
      ...checkTemplate(t.subject, 'subject'),
      ...(t.subjectVariants ?? []).flatMap((v, i) => checkTemplate(v, `subjectVariants.${i}`)),
      ...checkTemplate(t.body, 'body'),
    ];
    if (problems.length > 0) throw invalid('The template uses fields or constructs that letters may not use', problems);
    const all = await list(campaignId);
    const others = all.filter((o) => o.id !== self?.id);
    const bad = (message: string, path = 'translationOf') => invalid(`This template cannot be a translation: ${message}`, [{ path, message }]);
    if (t.translationOf) {
      const original = others.find((o) => o.id === t.translationOf);
      if (!original) throw bad(`no template ${t.translationOf} in this campaign`);
      if (original.translationOf) throw bad(`${original.id} is itself a translation (of ${original.translationOf}): translate the original`);
      if (original.locale === t.locale) throw bad(`${original.id} is already in ${t.locale}`, 'locale');
      const twin = others.find((o) => o.translationOf === original.id && o.locale === t.locale);
      if (twin) throw bad(`${original.id} already has a translation in ${t.locale} (${twin.id})`, 'locale');
      if (self && others.some((o) => o.translationOf === self.id)) throw bad(`${self.id} has translations of its own`);
    } else if (self) {
      // An original that keeps its translations must not take the locale of one of them.
      const twin = others.find((o) => o.translationOf === self.id && o.locale === t.locale);
      if (twin) throw invalid(`This template already has a translation in ${t.locale}`, [{ path: 'locale', message: `${twin.id} translates it into ${t.locale}` }]);
    }
  }

  /** Templates are checked against API.md's allowed fields and helpers before they are stored. */
  async function create(campaignId: string, input: CreateTemplate): Promise<Template> {
    await campaigns.get(campaignId);
    const fields = { ...input, translationOf: input.translationOf ?? null, subjectVariants: input.subjectVariants ?? null };
    await check(campaignId, fields);
    try {
      return await repo.insert({ id: newId('tpl'), campaignId, ...fields, createdAt: clock.now().toISOString() });
    } finally {
      cache.clear();
    }
  }

  /**
   * An edit makes the next version of the template, checked as a new template is; letters
   * already written keep their own text and the version they were rendered from. A patch that
   * changes nothing makes no new version.
   */
  async function update(campaignId: string, id: string, patch: UpdateTemplate): Promise<Template> {
    const current = await get(campaignId, id);
    const changed = Object.fromEntries(
      Object.entries(patch).filter(([k, v]) => v !== undefined && JSON.stringify((current as Record<string, unknown>)[k]) !== JSON.stringify(v)),
    ) as UpdateTemplate;
    if (Object.keys(changed).length === 0) return current;
    await check(campaignId, { ...current, ...changed, translationOf: changed.translationOf === undefined ? current.translationOf : changed.translationOf }, current);
    try {
      const next = await repo.edit(id, current.version, changed);
      if (!next) throw conflict('The template changed while this edit was checked; read it again and retry');
      return next;
    } finally {
      cache.clear();
    }
  }

  /**
   * A deleted template takes no new letter, nor do its translations (they go with it); letters
   * already written keep pointing at it, with their version and text.
   */
  async function remove(campaignId: string, id: string): Promise<void> {
    await get(campaignId, id);
    try {
      await repo.remove(id, clock.now().toISOString());
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

  /**
   * A letter in the target's language beside what it says in the chosen template's:
   * `render(template)` renders one of them; `translation` is present when they differ.
   */
  async function bilingual(chosen: Template, target: Target, render: (t: Template) => ComposedLetter, edited = false): Promise<LetterPreview> {
    const sent = await forTarget(chosen, target);
    const { subject, text, originality } = render(sent);
    const letter = { subject, text, originality, locale: sent.locale };
    // An edited letter goes out as written: the chosen template's rendering would no longer say what it says.
    if (sent.id === chosen.id || edited) return letter;
    const meaning = render(chosen);
    return { ...letter, translation: { locale: chosen.locale, subject: meaning.subject, text: meaning.text } };
  }

  async function preview(campaignId: string, req: PreviewRequest): Promise<LetterPreview> {
    const campaign = await campaigns.get(campaignId);
    const { template, target } = await letterParts(campaign, req);
    const now = clock.now();
    return bilingual(template, target, (t) => renderLetter(campaign, t, target, req.supporter as Signer, now));
  }

  return { list, get, choose, forTarget, create, update, remove, letterParts, bilingual, preview };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
