import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { translate } from '../../render/page-engine.js';
import { progressOf } from './action.js';
import { runBy } from './organizer.js';

const TokenParams = z.strictObject({ token: z.string().min(16).max(128) });

/**
 * The pages behind the links in supporters' mail. A GET only shows (mail scanners follow links);
 * a POST acts. Both tokens are the only credential, so neither form needs a cookie.
 */
export const tokenPages: FastifyPluginAsyncZod = async (app) => {
  const { actions, confirmations, campaigns, supporters } = app.services;
  /** The campaign's language and who runs it, for a page that knows only the campaign's slug. */
  async function campaignOf(slug: string, reply: FastifyReply) {
    const campaign = await campaigns.getBySlug(slug);
    const locale = campaign?.locale ?? 'en';
    reply.pageLocale = locale;
    return { locale, runBy: runBy({ slug, sender: campaign?.sender }) };
  }

  /** The thank-you page with the campaign's standing and ways to pass the action page on. */
  async function thanksPage(slug: string, reply: FastifyReply, alreadyConfirmed: boolean) {
    const view = await actions.publicView(slug);
    const locale = view.locale;
    reply.pageLocale = locale;
    const say = (key: string, values?: Record<string, unknown>) => translate(app.pageStrings(locale), locale, key, values);
    const actionUrl = `${app.config.PUBLIC_URL}/c/${encodeURIComponent(view.slug)}`;
    const text = say('thanks.shareText', { title: view.title });
    const q = encodeURIComponent;
    const share = [
      { label: say('thanks.email'), href: `mailto:?subject=${q(view.title)}&body=${q(`${text}\n\n${actionUrl}`)}` },
      { label: 'WhatsApp', href: `https://wa.me/?text=${q(`${text} ${actionUrl}`)}` },
      { label: 'Telegram', href: `https://t.me/share/url?url=${q(actionUrl)}&text=${q(text)}` },
      { label: 'Facebook', href: `https://www.facebook.com/sharer/sharer.php?u=${q(actionUrl)}` },
      { label: 'X', href: `https://x.com/intent/post?text=${q(text)}&url=${q(actionUrl)}` },
    ];
    return reply.page(
      'thanks',
      { pageTitle: view.title, campaign: view, runBy: runBy(view), counts: view.counts, progress: progressOf(view.counts), share, shareButton: { title: view.title, text, url: actionUrl }, actionUrl, alreadyConfirmed, noindex: true },
      { locale },
    );
  }

  app.get('/confirm/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
    const view = await confirmations.view(req.params.token);
    const { locale, runBy } = await campaignOf(view.campaign.slug, reply);
    return reply.page('confirm', { pageTitle: view.campaign.title, ...view, runBy, token: req.params.token, noindex: true }, { locale });
  });

  app.post(
    '/confirm/:token',
    { schema: { params: TokenParams, hide: true }, onRequest: app.publicLimits.confirmations },
    async (req, reply) => {
      // Answered with the page itself (200); confirming is idempotent, so posting again shows it again.
      const { campaign, alreadyConfirmed } = await confirmations.confirm(req.params.token);
      return thanksPage(campaign.slug, reply, alreadyConfirmed);
    },
  );

  // RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" as a form or as multipart;
  // the body says nothing the token does not, so whatever arrives is accepted unread.
  await app.register(async (scope) => {
    const oneClick = scope.withTypeProvider<ZodTypeProvider>();
    oneClick.removeAllContentTypeParsers();
    oneClick.addContentTypeParser('*', { bodyLimit: 4096 }, (_req, payload, done) => {
      payload.resume();
      payload.on('end', () => done(null, undefined));
      payload.on('error', done);
    });

    oneClick.get('/unsubscribe/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
      const { campaignTitle, campaignSlug, unsubscribed } = await supporters.subscription(req.params.token);
      const { locale, runBy } = await campaignOf(campaignSlug, reply);
      return reply.page('unsubscribe', { campaignTitle, runBy, done: unsubscribed, token: req.params.token, noindex: true }, { locale });
    });

    oneClick.post('/unsubscribe/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
      const { campaignTitle, campaignSlug } = await supporters.unsubscribe(req.params.token);
      const { locale, runBy } = await campaignOf(campaignSlug, reply);
      return reply.page('unsubscribe', { campaignTitle, runBy, done: true, noindex: true }, { locale });
    });
  });
};
