import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import { pastClosing } from '../../domain/campaigns.js';
import { recipientsOf } from '../../domain/actions.js';
import { createLetterPreviews } from '../../domain/letter-preview.js';
import { personalizedFrom } from '../../domain/originality.js';
import { countryName } from '../../domain/render-letter.js';
import { DomainError, type FieldError } from '../../errors.js';
import { echoesPersonalData } from '../../plugins/idempotency.js';
import { countryOptions, languageName } from '../../render/countries.js';
import { translate } from '../../render/page-engine.js';
import { z } from 'zod';
import { SlugParams } from '../../schemas/common.js';
import { SubmitLettersSchema, type Count, type PublicCampaign, type SubmitLetters } from '../../schemas/letter.js';
import { crossOriginCheck } from './cross-origin.js';
import { runBy } from './organizer.js';
import { shareMeta } from './share.js';
import { fieldMessages, formBody, formFields, formValues, parseForm, type FormValues } from './action-form.js';

export function progressOf(count: Pick<Count, 'supporters' | 'goal'>) {
  if (!count.goal) return null;
  return { value: Math.min(count.supporters, count.goal), percent: Math.min(100, Math.floor((count.supporters / count.goal) * 100)) };
}

/**
 * What the "check your inbox" page needs after the redirect: what was typed (to name the address
 * and to send the same letters to a corrected one) and whether the letters went out at once.
 * An hour is long enough to reload or fix a typo; the page's address is what ends up in the
 * address bar, so it should not outlive its use if copied.
 */
const SignedTicketSchema = z.object({ slug: z.string(), input: SubmitLettersSchema.omit({ website: true }), queued: z.boolean(), edited: z.boolean().optional() });
/**
 * An edited letter rides in the ticket (so a corrected address gets the same text) only while
 * the ticket stays a modest URL: a longer one is left out, and a correction then starts over
 * on the action page rather than send a letter the supporter did not write.
 */
const ticketBodyMaxBytes = 4000;
const signedTicketTtlMs = 60 * 60 * 1000;
// In the query, not the path: a sealed form is longer than a path segment may be.
const TicketQuery = z.object({ ticket: z.string().max(12_000).optional() });

interface FormState {
  values?: Partial<FormValues>;
  errors?: Partial<Record<string, string>>;
}

/** The supporter's action page (GET /c/{slug}) and its form post, which works without JavaScript. */
export const actionPages: FastifyPluginAsyncZod = async (app) => {
  const { actions, campaigns, templates, sealer } = app.services;
  const previews = createLetterPreviews({ campaigns, templates, clock: app.clock });

  function say(locale: string, key: string, values?: Record<string, unknown>) {
    return translate(app.pageStrings(locale), locale, key, values);
  }

  /** The letter as it stands for what the form holds; none when the campaign cannot render one yet. */
  async function preview(view: PublicCampaign, values: Partial<FormValues>) {
    try {
      const { target, subject, text, locale, translation, originality } = await previews.forAction(
        view.slug,
        {
          templateId: values.templateId || undefined,
          targetId: values.targetIds?.[0],
          supporter: { name: values.name?.trim(), city: values.city?.trim(), country: values.country, note: values.note, ...(values.body ? { body: values.body } : {}) },
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
        originality,
        nudge: originality < personalizedFrom,
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

  /**
   * The letter as the supporter left it in the form, or '' when it is the letter the form would
   * send anyway (not edited). The text was filled in before the name and country were typed (the
   * page without JavaScript cannot follow the form), so their placeholders take what was typed.
   */
  async function editedBody(view: PublicCampaign, values: FormValues): Promise<string> {
    let text = values.body.replace(/\r\n?/g, '\n');
    if (!text.trim()) return '';
    const current = await preview(view, { ...values, body: '' });
    if (!current) return text;
    const name = values.name.trim();
    if (name) text = text.split(say(view.locale, 'preview.name')).join(name);
    if (values.country) text = text.split(say(view.locale, 'preview.country')).join(countryName(values.country, current.locale));
    return text.trimEnd() === current.text.trimEnd() ? '' : text;
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
        // GOV.UK's pattern: a page shown again with errors says so first in its title.
        pageTitle: Object.keys(errors).length > 0 ? say(locale, 'form.errorTitle', { title: view.title }) : view.title,
        description: view.summary,
        // What a link to the page shows when shared: the campaign, never the tool.
        share: shareMeta(app.config.PUBLIC_URL, view, say(locale, 'share.imageAlt', { title: view.title })),
        // navigator.share, where the browser has it: the script shows the button.
        shareButton: { title: view.title, text: say(locale, 'thanks.shareText', { title: view.title }), url: `${app.config.PUBLIC_URL}/c/${encodeURIComponent(view.slug)}` },
        campaign: view,
        runBy: runBy(view),
        progress: progressOf(view.counts),
        open: view.status === 'active' && !ended,
        statusNotice: view.status !== 'active' ? say(locale, `action.status.${view.status}`) : ended ? say(locale, 'action.status.ended') : null,
        preview: await preview(view, values),
        multipleTargets,
        // The recipients, listed once: the choice itself when there are several. A target for some
        // countries says which ("for supporters in Germany").
        targetChoices: view.targets.map((t) => ({
          ...t,
          countryNames: t.countries?.map((c) => countryName(c, locale)).join(', ') ?? null,
          // For the page's script, which names the recipients as soon as a country is picked.
          countryCodes: t.countries?.join(' ') ?? '',
          checked: chosen.includes(t.id),
        })),
        // Where some targets take letters from some countries only: whom this letter goes to, once the country is known.
        byCountry: view.targets.some((t) => t.countries),
        goesTo: values.country ? recipientsOf(view.targets, values.country, chosen) : null,
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

  /**
   * "Check your inbox" (or "on its way"), naming the address typed and whom the letter goes to
   * (the targets chosen that take letters from the supporter's country). With a confirmation mail
   * it offers to send the letters to a corrected address instead.
   */
  async function signedPage(view: PublicCampaign, reply: FastifyReply, ticket: string, signed: z.infer<typeof SignedTicketSchema>, state: FormState = {}, status = 200) {
    // A letter sent without confirmation has just moved the count: the view read before it has not.
    const counts = await actions.count(view.slug);
    const recipients = recipientsOf(view.targets, signed.input.country, signed.input.targetIds);
    const errors = state.errors ?? {};
    const title = Object.keys(errors).length > 0 ? say(view.locale, 'form.errorTitle', { title: view.title }) : view.title;
    if (state.values) echoesPersonalData(reply.request);
    return reply.page(
      'signed',
      {
        pageTitle: title,
        campaign: view,
        runBy: runBy(view),
        counts,
        progress: progressOf(counts),
        queued: signed.queued,
        email: signed.input.email,
        recipients,
        action: `/c/${encodeURIComponent(view.slug)}/signed?ticket=${ticket}`,
        form: { values: state.values ?? {}, errors },
        noindex: true,
      },
      { locale: view.locale, status },
    );
  }

  /** The ticket's contents when it is genuine, in its hour, and made on this campaign's page. */
  function openTicket(view: PublicCampaign, ticket: string) {
    const signed = sealer.open(ticket, SignedTicketSchema);
    return signed && signed.slug === view.slug ? signed : null;
  }

  /** Sends the letters and answers with a redirect to "check your inbox", so a reload sends nothing again. */
  async function submitAndRedirect(view: PublicCampaign, reply: FastifyReply, input: SubmitLetters, ip: string) {
    const result = await actions.submit(view.slug, input, { ip });
    const { website: _honeypot, body, ...rest } = input;
    const fits = body !== undefined && Buffer.byteLength(body) <= ticketBodyMaxBytes;
    const typed = fits ? { ...rest, body } : rest;
    const ticket = sealer.seal({ slug: view.slug, input: typed, queued: result.status === 'queued', edited: body !== undefined }, signedTicketTtlMs);
    return reply.redirect(`/c/${encodeURIComponent(view.slug)}/signed?ticket=${ticket}`, 303);
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
      if (view.letter.editable) values.body = await editedBody(view, values);
      const parsed = parseForm(body, values);
      let errors: FieldError[] = [...notText, ...(parsed.ok ? [] : parsed.errors)];
      // Unticking every target means "no one", not "everyone" (which is what an absent list means to the API).
      if (view.targets.length > 1 && values.targetIds.length === 0) errors = [...errors, { path: 'targetIds', message: 'choose' }];
      const free = view.letter.editable ? 'body' : 'note';
      if (!parsed.ok || errors.length > 0) return renderAction(view, reply, { values, errors: fieldMessages(errors, t, undefined, free) }, 422);
      try {
        return await submitAndRedirect(view, reply, parsed.input, req.ip);
      } catch (err) {
        if (err instanceof DomainError && err.status === 422) {
          return renderAction(view, reply, { values, errors: fieldMessages(err.errors ?? [{ path: free, message: err.message }], t, err.message, free) }, 422);
        }
        if (err instanceof DomainError && err.status === 409) return renderAction(view, reply, { values }, 409);
        throw err;
      }
    },
  );

  /** Who runs the campaign and what it does with supporters' data: its own notice, then what Chorus itself does. */
  app.get('/c/:slug/privacy', { schema: { params: SlugParams, hide: true } }, async (req, reply) => {
    const view = await actions.publicView(req.params.slug);
    reply.pageLocale = view.locale;
    reply.header('cache-control', 'public, max-age=300');
    return reply.page(
      'privacy',
      { pageTitle: say(view.locale, 'privacy.title'), campaign: view, runBy: runBy(view), notice: view.organizer?.privacyNotice ?? null },
      { locale: view.locale },
    );
  });

  /** What the redirect after a post shows; a ticket that is forged or past its hour leads back to the campaign. */
  app.get('/c/:slug/signed', { schema: { params: SlugParams, querystring: TicketQuery, hide: true } }, async (req, reply) => {
    const view = await actions.publicView(req.params.slug);
    const signed = openTicket(view, req.query.ticket ?? '');
    if (!signed) return reply.redirect(`/c/${encodeURIComponent(view.slug)}`, 303);
    return signedPage(view, reply, req.query.ticket ?? '', signed);
  });

  /**
   * A mistyped address: the same letters, sent to the corrected one, exactly as if the form had
   * been filled in again with it (the same limits, the same answer whether or not that address
   * signed before). The letters waiting on the wrong address are never confirmed and expire.
   */
  app.post(
    '/c/:slug/signed',
    {
      schema: { params: SlugParams, querystring: TicketQuery, hide: true },
      onRequest: [crossOriginCheck(new URL(app.config.PUBLIC_URL).origin), app.publicLimits.submissions],
    },
    async (req, reply) => {
      const view = await actions.publicView(req.params.slug);
      reply.pageLocale = view.locale;
      const signed = openTicket(view, req.query.ticket ?? '');
      if (!signed || (signed.edited && signed.input.body === undefined)) return reply.redirect(`/c/${encodeURIComponent(view.slug)}`, 303);
      const { body } = formBody(req.body);
      const email = formValues(body).email;
      const parsed = SubmitLettersSchema.safeParse({ ...signed.input, email });
      if (!parsed.success) {
        return signedPage(view, reply, req.query.ticket ?? '', signed, { values: { email }, errors: { email: say(view.locale, 'errors.email') } }, 422);
      }
      try {
        return await submitAndRedirect(view, reply, parsed.data, req.ip);
      } catch (err) {
        // The campaign paused or closed in the meantime, or its rules changed: the action page says why.
        if (err instanceof DomainError && (err.status === 409 || err.status === 422)) return reply.redirect(`/c/${encodeURIComponent(view.slug)}`, 303);
        throw err;
      }
    },
  );
};
