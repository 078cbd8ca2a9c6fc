import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdParams, pageOf, problems } from '../schemas/common.js';
import { LetterListQuerySchema, LetterSchema, ModerateLetterSchema, ResendBouncedSchema, ResentBouncedSchema, StatsSchema } from '../schemas/letter.js';
import { TargetParams } from '../schemas/target.js';

const tags = ['letters'];
const config = { scope: 'letters' as const };

export const letterRoutes: FastifyPluginAsyncZod = async (app) => {
  const { letters, stats, campaigns } = app.services;

  app.get(
    '/api/v1/campaigns/:id/letters',
    {
      config,
      schema: { tags, operationId: 'listLetters', summary: 'List a campaign\'s letters', params: IdParams, querystring: LetterListQuerySchema, response: { 200: pageOf(LetterSchema), ...problems(404) } },
    },
    async (req) => {
      await campaigns.get(req.params.id);
      return letters.list(req.params.id, req.query);
    },
  );

  app.get(
    '/api/v1/campaigns/:id/letters.csv',
    { config, schema: { tags, operationId: 'exportLettersCsv', summary: 'Export a campaign\'s letters as CSV', params: IdParams, produces: ['text/csv'], openapi: { headers: { 200: ['Content-Disposition', 'Cache-Control'] } } } },
    async (req, reply) => {
      const campaign = await campaigns.get(req.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${campaign.slug}-letters.csv"`)
        .header('cache-control', 'no-store')
        .send(letters.csv(campaign.id));
    },
  );

  app.patch(
    '/api/v1/letters/:id',
    {
      config,
      schema: { tags, operationId: 'moderateLetter', summary: 'Hold a letter or release it to the queue', params: IdParams, body: ModerateLetterSchema, response: { 200: LetterSchema, ...problems(404, 409, 422) } },
    },
    async (req) => letters.moderate(req.params.id, req.body.status),
  );

  app.post(
    '/api/v1/campaigns/:id/targets/:targetId/resend-bounced',
    {
      config,
      schema: {
        tags,
        operationId: 'resendBouncedLetters',
        summary: "Send a target's bounced letters again, to its address as corrected",
        params: TargetParams,
        body: ResendBouncedSchema,
        response: { 200: ResentBouncedSchema, ...problems(404, 409, 422) },
      },
    },
    async (req) => letters.resendBounced(req.params.id, req.params.targetId),
  );

  app.get(
    '/api/v1/campaigns/:id/stats',
    { config, schema: { tags, operationId: 'getStats', summary: 'Get a campaign\'s statistics', params: IdParams, response: { 200: StatsSchema, ...problems(404) } } },
    async (req) => stats.forCampaign(req.params.id),
  );
};
