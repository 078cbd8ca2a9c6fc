import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import { pastClosing } from '../../domain/campaigns.js';
import { recipientsOf } from '../../domain/actions.js';
import { createLetterPreviews } from '../../domain/letter-preview.js';
import { countryName } from '../../domain/render-letter.js';
import { DomainError, type FieldError } from '../../errors.js';
import { echoesPersonalData } from '../../plugins/idempotency.js';
import { countryOptions, languageName } from '../../render/countries.js';
import { translate } from '../../render/page-engine.js';
import { SlugParams } from '../../schemas/common.js';
import type { Count, PublicCampaign } from '../../schemas/letter.js';
import { crossOriginCheck } from './cross-origin.js';
import { fieldMessages, formBody, formFields, formValues, parseForm, type FormValues } from './action-form.js';

export function progressOf(count: Pick<Count, 'supporters' | 'goal'>) {
  if (!count.goal) return null;
  return { value: Math.min(count.supporters, count.goal), percent: Math.min(100, Math.floor((count.supporters / count.goal) * 100)) };
}

interface FormState {
  values?: Partial<FormValues>;
  errors?: Partial<Record<string, string>>;
}

/** The supporter's action page (GET /c/{slug}) and its form post, which works without JavaScript. */
export const actionPages: FastifyPluginAsyncZod = async (app) => {
  const { actions, campaigns, templates } = app.services;
  const previews = createLetterPreviews({ campaigns, templates, clock: app.clock });

  function say(locale: string, key: string, values?: Record<string, unknown>) {
    return translate(app.pageStrings(locale), locale, key, values);
  }

  /** The letter as it stands for what the form holds; none when the campaign cannot render one yet. */
  async function preview(view: PublicCampaign, values: Partial<FormValues>) {
    try {
      const { target, subject, text, locale, translation } = await previews.forAction(
        view.slug,
        {
          templateId: values.templateId || undefined,
          targetId: values.targetIds?.[0],
          supporter: { name: values.name?.trim(), city: values.city?.trim(), country: values.country, note: values.note },
        },
        { name: say(view.locale, 'preview.name'), countryName: say(view.locale, 'preview.country') },
      );
      const page = view.locale;
      // The letter goes out in the target's language: shown beside what it says in the supporter's, with the reason.
      const why = translation
        ? say(page, 'action.previewWhy', {
            target: target.title ? `${target.name} (${target.title})` : target.name,
            language: languageName(locale, page),
            own: languageName(translation.locale, page),
          })
        : null;
      return {
        subject,
        text,
        to: target.name,
        locale,
        language: languageName(locale, page),
        translation: translation && { ...translation, language: languageName(translation.locale, page) },
        why,
      };
    } catch (err) {
      if (err instanceof DomainError) return null;
      throw err;
    }
  }

  async function renderAction(view: PublicCampaign, reply: FastifyReply, state: FormState, status = 200) {
    const locale = view.locale;
    reply.pageLocale = locale;
    const values = state.values ?? {};
    const errors = state.errors ?? {};
    // A form shown again keeps what was typed (name, address, note): an Idempotency-Key must not store it.
    if (state.values) echoesPersonalData(reply.request);
    const multipleTargets = view.targets.length > 1;
    const ended = pastClosing(view, app.clock.now());
    const chosen = values.targetIds ?? view.targets.map((t) => t.id);
    const originals = view.templates.filter((t) => !t.translationOf);
    return reply.page(
      'action',
      {
        pageTitle: view.title,
        description: view.summary,
        // What a link to the page shows when shared: the campaign, never the tool.
        share: { title: view.title, description: view.summary, url: `${app.config.PUBLIC_URL}/c/${view.slug}` },
        campaign: view,
        // A target for some countries says which: "for supporters in Germany".
        recipients: view.targets.map((t) => ({ ...t, countryNames: t.countries?.map((c) => countryName(c, locale)).join(', ') ?? null })),
        progress: progressOf(view.counts),
        open: view.status === 'active' && !ended,
        statusNotice: view.status !== 'active' ? say(locale, `action.status.${view.status}`) : ended ? say(locale, 'action.status.ended') : null,
        preview: await preview(view, values),
        multipleTargets,
        targetChoices: view.targets.map((t) => ({ ...t, checked: chosen.includes(t.id) })),
        templateChoices:
          // Translations are not a choice of their own: a letter is translated for its reader wherever the template has one.
          originals.length > 1 ? originals.map((t) => ({ id: t.id, name: t.name, selected: t.id === values.templateId })) : null,
        countries: countryOptions(locale, values.country),
        form: {
          values,
          errors,
          errorList: formFields.filter((f) => errors[f]).map((field) => ({ field, message: errors[field] })),
        },
      },
      { locale, status },
    );
  }

  /** "Check your inbox" (or "on its way"), answered to the post itself: there is no page to come back to. */
  /** "Check your inbox", naming whom the letter goes to (the targets chosen that take letters from the supporter's country). */
  async function signedPage(view: PublicCampaign, reply: FastifyReply, queued: boolean, input: { country: string; targetIds?: string[] }) {
    // A letter sent without confirmation has just moved the count: the view read before it has not.
    const counts = await actions.count(view.slug);
    const recipients = recipientsOf(view.targets, input.country, input.targetIds);
    return reply.page(
      'signed',
      { pageTitle: view.title, campaign: view, counts, progress: progressOf(counts), queued, recipients, noindex: true },
      { locale: view.locale },
    );
  }

  app.get('/c/:slug', { schema: { params: SlugParams, hide: true } }, async (req, reply) => renderAction(await actions.publicView(req.params.slug), reply, {}));

  app.post(
    '/c/:slug',
    {
      schema: { params: SlugParams, hide: true },
      // No CSRF token: the page sets no cookie at all, and a form left open for hours still posts.
      onRequest: [crossOriginCheck(new URL(app.config.PUBLIC_URL).origin), app.publicLimits.submissions],
    },
    async (req, reply) => {
      const { body, errors: notText } = formBody(req.body);
      const values = formValues(body);
      const view = await actions.publicView(req.params.slug);
      reply.pageLocale = view.locale;
      const t = (key: string) => say(view.locale, key);
      const parsed = parseForm(body, values);
      let errors: FieldError[] = [...notText, ...(parsed.ok ? [] : parsed.errors)];
      // Unticking every target means "no one", not "everyone" (which is what an absent list means to the API).
      if (view.targets.length > 1 && values.targetIds.length === 0) errors = [...errors, { path: 'targetIds', message: 'choose' }];
      if (!parsed.ok || errors.length > 0) return renderAction(view, reply, { values, errors: fieldMessages(errors, t) }, 422);
      try {
        const result = await actions.submit(req.params.slug, parsed.input, { ip: req.ip });
        return await signedPage(view, reply, result.status === 'queued', parsed.input);
      } catch (err) {
        if (err instanceof DomainError && err.status === 422) {
          return renderAction(view, reply, { values, errors: fieldMessages(err.errors ?? [{ path: 'note', message: err.message }], t, err.message) }, 422);
        }
        if (err instanceof DomainError && err.status === 409) return renderAction(view, reply, { values }, 409);
        throw err;
      }
    },
  );
};
