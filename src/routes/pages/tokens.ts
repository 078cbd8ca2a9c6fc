import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { publicSubmissionLimit } from '../../plugins/rate-limits.js';

const TokenParams = z.strictObject({ token: z.string().min(16).max(128) });

/**
 * The pages behind the links in supporters' mail. A GET only shows (mail scanners follow links);
 * a POST acts. Both tokens are the only credential, so neither form needs a cookie.
 */
export const tokenPages: FastifyPluginAsyncZod = async (app) => {
  const { confirmations, campaigns, supporters } = app.services;
  const localeOf = (slug: string) => campaigns.getBySlug(slug)?.locale ?? 'en';

  app.get('/confirm/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
    const view = confirmations.view(req.params.token);
    const locale = localeOf(view.campaign.slug);
    reply.pageLocale = locale;
    return reply.page('confirm', { pageTitle: view.campaign.title, ...view, token: req.params.token, noindex: true }, { locale });
  });

  app.post(
    '/confirm/:token',
    { schema: { params: TokenParams, hide: true }, config: { rateLimit: publicSubmissionLimit(app) } },
    async (req, reply) => {
      const { campaign } = await confirmations.confirm(req.params.token);
      return reply.redirect(`/c/${encodeURIComponent(campaign.slug)}/thanks`, 303);
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
      const { campaignTitle, unsubscribed } = supporters.subscription(req.params.token);
      return reply.page('unsubscribe', { campaignTitle, done: unsubscribed, token: req.params.token, noindex: true });
    });

    oneClick.post('/unsubscribe/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
      const { campaignTitle } = supporters.unsubscribe(req.params.token);
      return reply.page('unsubscribe', { campaignTitle, done: true, noindex: true });
    });
  });
};
