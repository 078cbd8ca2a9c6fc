import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  campaignInput,
  campaignValues,
  offlineCountInput,
  previewDraft,
  responseInput,
  targetInput,
  targetValues,
  templateInput,
  templateValues,
  type FormValues,
} from '../../domain/dashboard.js';
import type { FieldError } from '../../errors.js';
import { checkTemplate } from '../../render/letter-engine.js';
import { CreateCampaignSchema, UpdateCampaignSchema, type Campaign } from '../../schemas/campaign.js';
import { IdParams } from '../../schemas/common.js';
import { CreateOfflineCountSchema, OfflineCountParams } from '../../schemas/offline-count.js';
import { responseChannels } from '../../db/schema.js';
import { CreateResponseSchema, ResponseParams } from '../../schemas/response.js';
import { CreateTargetSchema, TargetParams, UpdateTargetSchema, type Target } from '../../schemas/target.js';
import { CreateTemplateSchema, PreviewRequestSchema, UpdateTemplateSchema, type Template } from '../../schemas/template.js';
import { createAdminContext } from './admin-context.js';
import { attempt, formModel, issuesOf, valuesOf, type SectionSpec } from './admin-forms.js';

/**
 * The form body limit of the pages (32 KiB) is too small for a campaign's story (50,000
 * characters) or a template (20,000), urlencoded at up to 9 bytes a character: these forms
 * take up to 512 KiB.
 */
export const authoringBodyLimit = 512 * 1024;
const TemplateParams = z.strictObject({ id: z.string().min(1).max(64), templateId: z.string().min(1).max(64) });

const campaignSections = (create: boolean): SectionSpec[] => [
  {
    fields: [
      ...(create ? [{ name: 'slug', hint: true, required: true }] : []),
      { name: 'title', required: true },
      { name: 'summary', type: 'textarea', rows: 3, required: true, hint: true },
      { name: 'story', type: 'textarea', rows: 10 },
      ...(create ? [{ name: 'status', type: 'radios', options: ['draft', 'active'], required: true } as const] : []),
    ],
  },
  {
    legend: 'dates',
    fields: [
      { name: 'goal', type: 'number', hint: true, short: true },
      { name: 'closesAt', type: 'datetime-local', hint: true },
      { name: 'locale', hint: true, short: true },
      { name: 'confirmation', type: 'radios', options: ['email', 'none'] },
    ],
  },
  {
    legend: 'delivery',
    fields: [
      { name: 'delivery.mode', type: 'radios', options: ['email', 'digest', 'postal'] },
      { name: 'delivery.perTargetPerHour', type: 'number', hint: true, short: true },
      { name: 'delivery.digestEveryMinutes', type: 'number', hint: true, short: true },
    ],
  },
  {
    legend: 'rules',
    fields: [
      { name: 'rules.guidance', type: 'textarea', rows: 3, hint: true },
      { name: 'rules.forbiddenPhrases', type: 'textarea', rows: 4, hint: true },
      { name: 'rules.noteMaxLength', type: 'number', short: true },
    ],
  },
  {
    legend: 'sender',
    hint: true,
    fields: [
      { name: 'sender.name' },
      { name: 'sender.postalAddress.lines', type: 'textarea', rows: 3, hint: true },
      { name: 'sender.postalAddress.city' },
      { name: 'sender.postalAddress.postcode', short: true },
      { name: 'sender.postalAddress.country', hint: true, short: true },
    ],
  },
];

/** The address the campaign's delivery mode needs is marked required (the service refuses a recipient without it). */
const targetSections = (addressReadonly: boolean, mode: Campaign['delivery']['mode']): SectionSpec[] => [
  {
    fields: [
      { name: 'name', required: true },
      { name: 'title', required: true },
      { name: 'organization', required: true },
      { name: 'salutation', hint: true },
      { name: 'locale', hint: true, short: true },
      { name: 'countries', hint: true },
    ],
  },
  {
    legend: 'address',
    hint: true,
    fields: [
      { name: 'email', type: 'email', readonly: addressReadonly, required: mode !== 'postal' },
      { name: 'postalAddress.lines', type: 'textarea', rows: 3, hint: true, readonly: addressReadonly, required: mode === 'postal' },
      { name: 'postalAddress.city', readonly: addressReadonly, required: mode === 'postal' },
      { name: 'postalAddress.postcode', short: true, readonly: addressReadonly },
      { name: 'postalAddress.country', short: true, hint: true, readonly: addressReadonly },
    ],
  },
];

const sampleFields = ['sample.name', 'sample.city', 'sample.country', 'sample.note'] as const;
const sampleDefaults: FormValues = { 'sample.name': 'Aigerim Sadykova', 'sample.city': 'Almaty', 'sample.country': 'KZ', 'sample.note': '' };

/** Organizers author campaigns here: the forms of the API, validated by the API's own schemas and services. */
export const adminAuthoring: FastifyPluginAsyncZod = async (app) => {
  const { campaigns, targets, templates, responses, offlineCounts } = app.services;
  const { say, organizer, holds, requireScope, shell } = createAdminContext(app);
  const guarded = (...pre: ReturnType<typeof organizer>[]) => ({ preHandler: [...pre, app.csrfProtection] });
  const campaignUrl = (id: string, rest = '') => `/admin/campaigns/${encodeURIComponent(id)}${rest}`;
  const noticeOf = (req: FastifyRequest) => {
    const done = (req.query as { done?: string } | undefined)?.done;
    return done && /^[a-z-]{1,20}$/.test(done) && say(`admin.done.${done}`) !== `admin.done.${done}` ? say(`admin.done.${done}`) : null;
  };
  /**
   * Where a successful post lands. The forms post to `…#error-summary` so that a refused one
   * opens at its errors; a browser keeps that fragment across a redirect without one of its own,
   * so every landing names its own (the page's main content, unless it names a section).
   */
  const landing = (url: string) => (url.includes('#') ? url : `${url}#main`);
  const failed = (errors: FieldError[]) => (errors.length > 0 ? say('admin.errorTitle') : '');
  const titled = (title: string, errors: FieldError[] = []) => (errors.length ? `${failed(errors)}: ${title}` : title);

  // Campaigns: create and edit.
  const campaignForm = (req: FastifyRequest, reply: FastifyReply, campaign: Campaign | undefined, values: FormValues, errors: FieldError[] = []) => {
    const heading = campaign ? say('admin.editCampaign') : say('admin.newCampaign');
    return reply.page(
      'admin-edit',
      shell(req, reply, {
        pageTitle: titled(heading, errors),
        heading,
        back: campaign ? { href: campaignUrl(campaign.id), label: campaign.title } : { href: '/admin', label: say('admin.campaigns') },
        intro: campaign ? null : say('admin.newCampaignIntro'),
        form: formModel(say, 'campaign', {
          action: campaign ? campaignUrl(campaign.id, '/edit') : '/admin/campaigns',
          sections: campaignSections(!campaign),
          values,
          errors,
          buttons: [{ label: campaign ? say('admin.save') : say('admin.createCampaign') }],
          cancel: campaign ? campaignUrl(campaign.id) : '/admin',
        }),
      }),
      { status: errors.length ? 422 : 200 },
    );
  };

  const newCampaignValues: FormValues = { status: 'draft', confirmation: 'email', 'delivery.mode': 'email', locale: 'en', 'rules.noteMaxLength': '1000' };

  app.get('/admin/campaigns/new', { schema: { hide: true }, preHandler: organizer('campaigns') }, async (req, reply) =>
    campaignForm(req, reply, undefined, newCampaignValues),
  );

  app.post('/admin/campaigns', { schema: { hide: true }, bodyLimit: authoringBodyLimit, ...guarded(organizer('campaigns')) }, async (req, reply) => {
    const values = valuesOf(req.body);
    const result = await attempt(CreateCampaignSchema, campaignInput(values, false), (data) => campaigns.create(data), 'slug');
    if ('errors' in result) return campaignForm(req, reply, undefined, values, result.errors);
    return reply.redirect(landing(campaignUrl(result.value.id, '?done=created')), 303);
  });

  app.get('/admin/campaigns/:id/edit', { schema: { params: IdParams, hide: true }, preHandler: organizer('campaigns') }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    return campaignForm(req, reply, campaign, campaignValues(campaign));
  });

  app.post('/admin/campaigns/:id/edit', { schema: { params: IdParams, hide: true }, bodyLimit: authoringBodyLimit, ...guarded(organizer('campaigns')) }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const values = valuesOf(req.body);
    const result = await attempt(UpdateCampaignSchema, campaignInput(values, true), (data) => campaigns.update(campaign.id, data));
    if ('errors' in result) return campaignForm(req, reply, campaign, values, result.errors);
    return reply.redirect(landing(campaignUrl(campaign.id, '?done=saved')), 303);
  });

  // Targets: a list with the form to add one; each target's page edits it, records its responses and removes it.
  const targetsPage = async (req: FastifyRequest, reply: FastifyReply, campaign: Campaign, values: FormValues, errors: FieldError[] = []) => {
    const list = await targets.list(campaign.id);
    return reply.page(
      'admin-targets',
      shell(req, reply, {
        pageTitle: titled(`${say('admin.targets')} · ${campaign.title}`, errors),
        campaign,
        notice: noticeOf(req),
        targets: list.map((t) => ({ ...t, countries: (t.countries ?? []).join(', '), address: t.email ?? (t.postalAddress ? [...t.postalAddress.lines, t.postalAddress.city].join(', ') : null) })),
        addressNote: holds(req, 'letters') ? null : say('admin.addressNeedsLetters'),
        form: formModel(say, 'target', {
          action: campaignUrl(campaign.id, '/targets'),
          sections: targetSections(false, campaign.delivery.mode),
          values,
          errors,
          buttons: [{ label: say('admin.addTarget') }],
        }),
      }),
      { status: errors.length ? 422 : 200 },
    );
  };

  app.get('/admin/campaigns/:id/targets', { schema: { params: IdParams, hide: true }, preHandler: organizer('campaigns') }, async (req, reply) =>
    targetsPage(req, reply, await campaigns.get(req.params.id), {}),
  );

  app.post('/admin/campaigns/:id/targets', { schema: { params: IdParams, hide: true }, ...guarded(organizer('campaigns')) }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const values = valuesOf(req.body);
    const result = await attempt(CreateTargetSchema, targetInput(values, false), (data) => targets.create(campaign.id, data));
    if ('errors' in result) return targetsPage(req, reply, campaign, values, result.errors);
    return reply.redirect(landing(campaignUrl(campaign.id, '/targets?done=target-added')), 303);
  });

  const targetPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    campaign: Campaign,
    target: Target,
    state: { values?: FormValues; errors?: FieldError[]; response?: { values: FormValues; errors: FieldError[] } } = {},
  ) => {
    const errors = [...(state.errors ?? []), ...(state.response?.errors ?? [])];
    const url = campaignUrl(campaign.id, `/targets/${encodeURIComponent(target.id)}`);
    return reply.page(
      'admin-target',
      shell(req, reply, {
        pageTitle: titled(`${target.name} · ${campaign.title}`, errors),
        campaign,
        target,
        notice: noticeOf(req),
        addressNote: holds(req, 'letters') ? null : say('admin.addressNeedsLetters'),
        form: formModel(say, 'target', {
          action: url,
          sections: targetSections(!holds(req, 'letters'), campaign.delivery.mode),
          values: state.values ?? targetValues(target),
          errors: state.errors,
          buttons: [{ label: say('admin.save') }],
          cancel: campaignUrl(campaign.id, '/targets'),
        }),
        responses: (await responses.list(campaign.id, target.id)).map((r) => ({ ...r, channelLabel: say(`admin.opt.channel.${r.channel}`) })),
        responseForm: formModel(say, 'response', {
          action: `${url}/responses`,
          sections: [
            {
              fields: [
                { name: 'receivedAt', type: 'date', required: true, hint: true },
                { name: 'channel', type: 'select', options: responseChannels, required: true },
                { name: 'summary', type: 'textarea', rows: 4, required: true },
                { name: 'public', type: 'checkbox', hint: true },
                { name: 'notify', type: 'checkbox', hint: true },
              ],
            },
          ],
          values: state.response?.values ?? { channel: 'letter' },
          errors: state.response?.errors,
          buttons: [{ label: say('admin.recordResponse') }],
        }),
        removeUrl: `${url}/remove`,
      }),
      { status: errors.length ? 422 : 200 },
    );
  };

  app.get('/admin/campaigns/:id/targets/:targetId', { schema: { params: TargetParams, hide: true }, preHandler: organizer('campaigns') }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    return targetPage(req, reply, campaign, await targets.get(campaign.id, req.params.targetId));
  });

  app.post('/admin/campaigns/:id/targets/:targetId', { schema: { params: TargetParams, hide: true }, ...guarded(organizer('campaigns')) }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const target = await targets.get(campaign.id, req.params.targetId);
    const values = valuesOf(req.body);
    const input = targetInput(values, true);
    // As in the API: where letters go is the letters scope's too. A session without it sends the
    // addresses back unchanged (the fields are read-only) and may change everything else.
    const stored = targetInput(targetValues(target), true);
    const moved = (['email', 'postalAddress'] as const).filter((f) => JSON.stringify(input[f] ?? null) !== JSON.stringify(stored[f] ?? null));
    if (moved.length > 0) requireScope(req, 'letters');
    for (const f of ['email', 'postalAddress'] as const) if (!moved.includes(f)) delete input[f];
    const result = await attempt(UpdateTargetSchema, input, (data) => targets.update(campaign.id, target.id, data));
    if ('errors' in result) return targetPage(req, reply, campaign, target, { values, errors: result.errors });
    return reply.redirect(landing(campaignUrl(campaign.id, `/targets/${encodeURIComponent(target.id)}?done=saved`)), 303);
  });

  // Removing asks first: the confirmation page posts `confirm`.
  app.post('/admin/campaigns/:id/targets/:targetId/remove', { schema: { params: TargetParams, hide: true }, ...guarded(organizer('campaigns')) }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const target = await targets.get(campaign.id, req.params.targetId);
    if ((req.body as { confirm?: string } | undefined)?.confirm !== 'yes') {
      return reply.page(
        'admin-confirm',
        shell(req, reply, {
          pageTitle: say('admin.removeTargetTitle', { name: target.name }),
          heading: say('admin.removeTargetTitle', { name: target.name }),
          text: say('admin.removeTargetText', { name: target.name }),
          action: req.url,
          confirm: say('admin.removeTarget'),
          cancel: campaignUrl(campaign.id, `/targets/${encodeURIComponent(target.id)}`),
        }),
      );
    }
    await targets.remove(campaign.id, target.id);
    return reply.redirect(landing(campaignUrl(campaign.id, '/targets?done=target-removed')), 303);
  });

  app.post('/admin/campaigns/:id/targets/:targetId/responses', { schema: { params: TargetParams, hide: true }, ...guarded(organizer('campaigns')) }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const target = await targets.get(campaign.id, req.params.targetId);
    const values = valuesOf(req.body);
    const result = await attempt(CreateResponseSchema, responseInput(values), (data) => responses.record(campaign.id, target.id, data));
    if ('errors' in result) return targetPage(req, reply, campaign, target, { response: { values, errors: result.errors } });
    return reply.redirect(landing(campaignUrl(campaign.id, `/targets/${encodeURIComponent(target.id)}?done=response#responses`)), 303);
  });

  app.post(
    '/admin/campaigns/:id/targets/:targetId/responses/:responseId/delete',
    { schema: { params: ResponseParams, hide: true }, ...guarded(organizer('campaigns')) },
    async (req, reply) => {
      await responses.remove(req.params.id, req.params.targetId, req.params.responseId);
      return reply.redirect(landing(campaignUrl(req.params.id, `/targets/${encodeURIComponent(req.params.targetId)}?done=response-deleted#responses`)), 303);
    },
  );

  // Letter templates and their translations, with a preview of a draft for a sample supporter and every target.
  const templateSections = (all: Template[], self: Template | undefined): SectionSpec[] => [
    {
      fields: [
        { name: 'name', required: true },
        { name: 'locale', required: true, hint: true, short: true },
        {
          name: 'translationOf',
          type: 'select',
          hint: true,
          choices: [
            { value: '', label: say('admin.notATranslation') },
            ...all.filter((t) => !t.translationOf && t.id !== self?.id).map((t) => ({ value: t.id, label: `${t.name} (${t.locale})` })),
          ],
        },
        { name: 'subject', required: true },
        { name: 'body', type: 'textarea', rows: 16, required: true, hint: true, code: true },
      ],
    },
    { legend: 'sample', hint: true, fields: sampleFields.map((name) => ({ name, short: name === 'sample.country', type: name === 'sample.note' ? 'textarea' : 'text', rows: 2, required: name === 'sample.name' || name === 'sample.country' })) },
  ];

  const templatePage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    campaign: Campaign,
    self: Template | undefined,
    values: FormValues,
    errors: FieldError[] = [],
    preview?: Awaited<ReturnType<typeof previewDraft>>,
  ) => {
    const all = await templates.list(campaign.id);
    const heading = self ? say('admin.editTemplate', { name: self.name }) : say('admin.newTemplate');
    const base = campaignUrl(campaign.id, '/templates');
    return reply.page(
      'admin-template',
      shell(req, reply, {
        pageTitle: titled(`${heading} · ${campaign.title}`, errors),
        heading,
        campaign,
        template: self,
        notice: noticeOf(req),
        translations: self ? all.filter((t) => t.translationOf === self.id) : [],
        original: self?.translationOf ? all.find((t) => t.id === self.translationOf) : undefined,
        preview: preview?.map((p) => ({ ...p, subject: 'subject' in p ? p.subject : undefined })),
        form: formModel(say, 'template', {
          action: self ? `${base}/${encodeURIComponent(self.id)}` : base,
          sections: templateSections(all, self),
          values: { ...sampleDefaults, ...values },
          errors,
          buttons: [{ label: say('admin.preview'), name: 'intent', value: 'preview', secondary: true }, { label: self ? say('admin.saveVersion') : say('admin.createTemplate') }],
          cancel: base,
        }),
      }),
      { status: errors.length ? 422 : 200 },
    );
  };

  app.get('/admin/campaigns/:id/templates', { schema: { params: IdParams, hide: true }, preHandler: organizer('campaigns') }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const all = await templates.list(campaign.id);
    const originals = all.filter((t) => !t.translationOf);
    return reply.page(
      'admin-templates',
      shell(req, reply, {
        pageTitle: `${say('admin.templates')} · ${campaign.title}`,
        campaign,
        notice: noticeOf(req),
        templates: [...originals, ...all.filter((t) => t.translationOf && !originals.some((o) => o.id === t.translationOf))].map((o) => ({
          ...o,
          translations: all.filter((t) => t.translationOf === o.id),
        })),
      }),
    );
  });

  app.get('/admin/campaigns/:id/templates/new', { schema: { params: IdParams, hide: true }, preHandler: organizer('campaigns') }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const of = (req.query as { translationOf?: string } | undefined)?.translationOf;
    return templatePage(req, reply, campaign, undefined, { locale: campaign.locale, translationOf: typeof of === 'string' ? of : '' });
  });

  /** "Preview" renders the draft without saving it; "Save" stores it (a new template, or the next version of this one). */
  const saveOrPreview = async (req: FastifyRequest, reply: FastifyReply, campaign: Campaign, self: Template | undefined) => {
    const values = valuesOf(req.body);
    const input = templateInput(values);
    if (values.intent === 'preview') {
      const checked = issuesOf(CreateTemplateSchema, input);
      const sample = issuesOf(PreviewRequestSchema.shape.supporter, {
        name: values['sample.name'] ?? '',
        city: values['sample.city'] || undefined,
        country: values['sample.country'] ?? '',
        note: values['sample.note'] || undefined,
      });
      const draft = checked.data as Pick<Template, 'name' | 'locale' | 'subject' | 'body' | 'translationOf'> | undefined;
      const errors = [
        ...checked.errors,
        ...(draft ? [...checkTemplate(draft.subject, 'subject'), ...checkTemplate(draft.body, 'body')] : []),
        ...sample.errors.map((e) => ({ ...e, path: `sample.${e.path}` })),
      ];
      if (errors.length > 0 || !draft) return templatePage(req, reply, campaign, self, values, errors);
      const preview = await previewDraft({ templates, clock: app.clock }, campaign, draft, self, await targets.list(campaign.id), sample.data as Parameters<typeof previewDraft>[5]);
      return templatePage(req, reply, campaign, self, values, [], preview);
    }
    const result = self
      ? await attempt(UpdateTemplateSchema, input, (data) => templates.update(campaign.id, self.id, data))
      : await attempt(CreateTemplateSchema, input, (data) => templates.create(campaign.id, data));
    if ('errors' in result) return templatePage(req, reply, campaign, self, values, result.errors);
    return reply.redirect(landing(campaignUrl(campaign.id, `/templates/${encodeURIComponent(result.value.id)}?done=template-saved`)), 303);
  };

  app.post('/admin/campaigns/:id/templates', { schema: { params: IdParams, hide: true }, bodyLimit: authoringBodyLimit, ...guarded(organizer('campaigns')) }, async (req, reply) =>
    saveOrPreview(req, reply, await campaigns.get(req.params.id), undefined),
  );

  app.get('/admin/campaigns/:id/templates/:templateId', { schema: { params: TemplateParams, hide: true }, preHandler: organizer('campaigns') }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const self = await templates.get(campaign.id, req.params.templateId);
    return templatePage(req, reply, campaign, self, templateValues(self));
  });

  app.post('/admin/campaigns/:id/templates/:templateId', { schema: { params: TemplateParams, hide: true }, bodyLimit: authoringBodyLimit, ...guarded(organizer('campaigns')) }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    return saveOrPreview(req, reply, campaign, await templates.get(campaign.id, req.params.templateId));
  });

  // Offline counts: paper signatures and letters posted by hand, listed, added and deleted (after a confirmation).
  const offlinePage = async (req: FastifyRequest, reply: FastifyReply, campaign: Campaign, values: FormValues, errors: FieldError[] = []) => {
    const entries = await offlineCounts.list(campaign.id);
    return reply.page(
      'admin-offline',
      shell(req, reply, {
        pageTitle: titled(`${say('admin.offlineCounts')} · ${campaign.title}`, errors),
        campaign,
        notice: noticeOf(req),
        entries,
        totals: { supporters: entries.reduce((n, e) => n + e.supporters, 0), letters: entries.reduce((n, e) => n + e.letters, 0) },
        form: formModel(say, 'offline', {
          action: campaignUrl(campaign.id, '/offline-counts'),
          sections: [
            {
              fields: [
                { name: 'supporters', type: 'number', required: true, short: true },
                { name: 'letters', type: 'number', required: true, short: true },
                { name: 'source', required: true, hint: true },
                { name: 'note', type: 'textarea', rows: 3 },
              ],
            },
          ],
          values,
          errors,
          buttons: [{ label: say('admin.addOfflineCount') }],
        }),
      }),
      { status: errors.length ? 422 : 200 },
    );
  };

  app.get('/admin/campaigns/:id/offline-counts', { schema: { params: IdParams, hide: true }, preHandler: organizer('campaigns') }, async (req, reply) =>
    offlinePage(req, reply, await campaigns.get(req.params.id), {}),
  );

  app.post('/admin/campaigns/:id/offline-counts', { schema: { params: IdParams, hide: true }, ...guarded(organizer('campaigns')) }, async (req, reply) => {
    const campaign = await campaigns.get(req.params.id);
    const values = valuesOf(req.body);
    const result = await attempt(CreateOfflineCountSchema, offlineCountInput(values), (data) => offlineCounts.add(campaign.id, data));
    if ('errors' in result) return offlinePage(req, reply, campaign, values, result.errors);
    return reply.redirect(landing(campaignUrl(campaign.id, '/offline-counts?done=offline-added')), 303);
  });

  app.post(
    '/admin/campaigns/:id/offline-counts/:entryId/delete',
    { schema: { params: OfflineCountParams, hide: true }, ...guarded(organizer('campaigns')) },
    async (req, reply) => {
      const campaign = await campaigns.get(req.params.id);
      const entry = (await offlineCounts.list(campaign.id)).find((e) => e.id === req.params.entryId);
      if (entry && (req.body as { confirm?: string } | undefined)?.confirm !== 'yes') {
        const values = { supporters: entry.supporters, letters: entry.letters, source: entry.source };
        return reply.page(
          'admin-confirm',
          shell(req, reply, {
            pageTitle: say('admin.deleteOfflineTitle'),
            heading: say('admin.deleteOfflineTitle'),
            text: say('admin.deleteOfflineText', values),
            action: req.url,
            confirm: say('admin.deleteOffline'),
            cancel: campaignUrl(campaign.id, '/offline-counts'),
          }),
        );
      }
      await offlineCounts.remove(campaign.id, req.params.entryId);
      return reply.redirect(landing(campaignUrl(campaign.id, '/offline-counts?done=offline-deleted')), 303);
    },
  );
};
