import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { runBy } from './organizer.js';

/** `/`: the campaigns taking letters now, each with who runs it, so a visitor who lands on the bare address finds them. */
export const homePage: FastifyPluginAsyncZod = async (app) => {
  const { campaigns } = app.services;
  app.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.page('home', {
      pageTitle: 'Chorus',
      campaigns: (await campaigns.active()).map((c) => ({ slug: c.slug, title: c.title, summary: c.summary, runBy: runBy(c) })),
    }),
  );
};
