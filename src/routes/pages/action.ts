import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { createLetterPreviews } from '../../domain/letter-preview.js';
import { DomainError, type FieldError } from '../../errors.js';
import { publicSubmissionLimit } from '../../plugins/rate-limits.js';
import { countryOptions } from '../../render/countries.js';
import { translate } from '../../render/page-engine.js';
import type { Count, PublicCampaign } from '../../schemas/letter.js';
import { fieldMessages, formFields, formValues, parseForm, type FormBody, type FormValues } from './action-form.js';

const SlugParams = z.strictObject({ slug: z.string().min(1).max(64) });

export function progressOf(count: Pick<Count, 'supporters' | 'goal'>) {
  if (!count.goal) return null;
  return { value: Math.min(count.supporters, count.goal), percent: Math.min(100, Math.floor((count.supporters / count.goal) * 100)) };
}

interface FormState {
  values?: Partial<FormValues>;
  errors?: Partial<Record<string, string>>;
  expired?: boolean;
}

/** The supporter's action page (GET /c/{slug}) and its form post, which works without JavaScript. */
export const actionPages: FastifyPluginAsyncZod = async (app) => {
  const { actions, campaigns, targets, templates } = app.services;
  const previews = createLetterPreviews({ campaigns, targets, templates, clock: app.clock });

  function say(locale: string, key: string, values?: Record<string, unknown>) {
    return translate(app.pageStrings(locale), locale, key, values);
  }

  /** The letter as it stands for what the form holds; none when the campaign cannot render one yet. */
  function preview(view: PublicCampaign, values: Partial<FormValues>) {
    try {
      const { target, subject, text } = previews.forAction(
        view.slug,
        {
          templateId: values.templateId || undefined,
          targetId: values.targetIds?.[0],
          supporter: { name: values.name?.trim(), city: values.city?.trim(), country: values.country, note: values.note },
        },
        { name: say(view.locale, 'preview.name'), countryName: say(view.locale, 'preview.country') },
      );
      return { subject, text, to: target.name };
    } catch (err) {
      if (err instanceof DomainError) return null;
      throw err;
    }
  }

  async function renderAction(slug: string, reply: FastifyReply, state: FormState, status = 200) {
    const view = actions.publicView(slug);
    const locale = view.locale;
    reply.pageLocale = locale;
    const values = state.values ?? {};
    const errors = state.errors ?? {};
    const multipleTargets = view.targets.length > 1;
    const chosen = values.targetIds ?? view.targets.map((t) => t.id);
    return reply.page(
      'action',
      {
        pageTitle: view.title,
        description: view.summary,
        campaign: view,
        progress: progressOf(view.counts),
        live: true,
        open: view.status === 'active',
        statusNotice: view.status === 'active' ? null : say(locale, `action.status.${view.status}`),
        preview: preview(view, values),
        multipleTargets,
        targetChoices: view.targets.map((t) => ({ ...t, checked: chosen.includes(t.id) })),
        templateChoices:
          view.templates.length > 1 ? view.templates.map((t) => ({ id: t.id, name: t.name, selected: t.id === values.templateId })) : null,
        countries: countryOptions(locale, values.country),
        form: {
          values,
          errors,
          expired: state.expired ?? false,
          errorList: formFields.filter((f) => errors[f]).map((field) => ({ field, message: errors[field] })),
        },
        csrf: reply.generateCsrf(),
      },
      { locale, status },
    );
  }

  app.get('/c/:slug', { schema: { params: SlugParams, hide: true } }, async (req, reply) => renderAction(req.params.slug, reply, {}));

  app.post(
    '/c/:slug',
    {
      schema: { params: SlugParams, hide: true },
      config: { rateLimit: publicSubmissionLimit(app) },
      preHandler: app.csrfProtection,
      // A form left open past its CSRF cookie (or with cookies cleared) is shown again with what was typed.
      errorHandler: async (err, req, reply) => {
        const code = (err as { code?: string }).code;
        if (code?.startsWith('FST_CSRF')) {
          return renderAction((req.params as { slug: string }).slug, reply, { values: formValues((req.body ?? {}) as FormBody), expired: true }, 403);
        }
        throw err;
      },
    },
    async (req, reply) => {
      const body = (req.body ?? {}) as FormBody;
      const values = formValues(body);
      const { locale, targets: campaignTargets } = actions.publicView(req.params.slug);
      reply.pageLocale = locale;
      const t = (key: string) => say(locale, key);
      const parsed = parseForm(body);
      let errors: FieldError[] = parsed.ok ? [] : parsed.errors;
      // Unticking every target means "no one", not "everyone" (which is what an absent list means to the API).
      if (campaignTargets.length > 1 && values.targetIds.length === 0) errors = [...errors, { path: 'targetIds', message: 'choose' }];
      if (!parsed.ok || errors.length > 0) return renderAction(req.params.slug, reply, { values, errors: fieldMessages(errors, t) }, 422);
      try {
        const result = await actions.submit(req.params.slug, parsed.input, { ip: req.ip });
        return reply.redirect(`/c/${encodeURIComponent(req.params.slug)}/signed${result.status === 'queued' ? '?queued=1' : ''}`, 303);
      } catch (err) {
        if (err instanceof DomainError && err.status === 422) {
          return renderAction(req.params.slug, reply, { values, errors: fieldMessages(err.errors ?? [{ path: 'note', message: err.message }], t, err.message) }, 422);
        }
        if (err instanceof DomainError && err.status === 409) return renderAction(req.params.slug, reply, { values }, 409);
        throw err;
      }
    },
  );

  app.get(
    '/c/:slug/signed',
    { schema: { params: SlugParams, querystring: z.object({ queued: z.string().optional() }), hide: true } },
    async (req, reply) => {
      const view = actions.publicView(req.params.slug);
      reply.pageLocale = view.locale;
      return reply.page(
        'signed',
        { pageTitle: view.title, campaign: view, counts: view.counts, progress: progressOf(view.counts), live: true, queued: req.query.queued === '1', noindex: true },
        { locale: view.locale },
      );
    },
  );

  app.get('/c/:slug/thanks', { schema: { params: SlugParams, hide: true } }, async (req, reply) => {
    const view = actions.publicView(req.params.slug);
    const locale = view.locale;
    reply.pageLocale = locale;
    const actionUrl = `${app.config.PUBLIC_URL}/c/${encodeURIComponent(view.slug)}`;
    const text = say(locale, 'thanks.shareText', { title: view.title });
    const q = encodeURIComponent;
    const share = [
      { label: say(locale, 'thanks.email'), href: `mailto:?subject=${q(view.title)}&body=${q(`${text}\n\n${actionUrl}`)}` },
      { label: 'WhatsApp', href: `https://wa.me/?text=${q(`${text} ${actionUrl}`)}` },
      { label: 'Telegram', href: `https://t.me/share/url?url=${q(actionUrl)}&text=${q(text)}` },
      { label: 'Facebook', href: `https://www.facebook.com/sharer/sharer.php?u=${q(actionUrl)}` },
      { label: 'X', href: `https://x.com/intent/post?text=${q(text)}&url=${q(actionUrl)}` },
    ];
    return reply.page(
      'thanks',
      { pageTitle: view.title, campaign: view, counts: view.counts, progress: progressOf(view.counts), live: true, share, actionUrl, noindex: true },
      { locale },
    );
  });
};
