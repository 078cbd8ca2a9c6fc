import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

/** `/`: the campaigns taking letters now, so a visitor who lands on the bare address finds them. */
export const homePage: FastifyPluginAsyncZod = async (app) => {
  const { campaigns } = app.services;
  app.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.page('home', { pageTitle: 'Chorus', campaigns: (await campaigns.active()).map(({ slug, title, summary }) => ({ slug, title, summary })) }),
  );
};
