import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { letterStatuses } from '../db/schema.js';
import { IdParams, IsoDateTime, problems } from '../schemas/common.js';

const tags = ['letters'];
const security = [{ bearer: [] }];
const config = { scope: 'letters' as const };

const PrintQuerySchema = z.strictObject({ status: z.enum(letterStatuses).optional() });

const MarkMailedSchema = z
  .strictObject({
    ids: z.array(z.string().min(1).max(64)).min(1).max(1000).optional(),
    printedAt: IsoDateTime.optional(),
  })
  .refine((b) => (b.ids === undefined) !== (b.printedAt === undefined), { message: 'give either ids or printedAt' })
  .meta({ id: 'MarkMailed' });

/** Postal mode: the print run as a PDF, and marking a printed batch as mailed. */
export const postalRoutes: FastifyPluginAsyncZod = async (app) => {
  const { campaigns } = app.services;
  const { postal } = app.delivery;

  app.get(
    '/api/v1/campaigns/:id/letters.pdf',
    { config, schema: { tags, security, operationId: 'printLetters', params: IdParams, querystring: PrintQuerySchema, produces: ['application/pdf'] } },
    async (req, reply) => {
      const campaign = campaigns.get(req.params.id);
      const now = app.clock.now();
      return (
        reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${campaign.slug}-letters.pdf"`)
          .header('cache-control', 'no-store')
          // Pass this back as printedAt to mark exactly the letters that could be in this print run.
          .header('x-chorus-printed-at', now.toISOString())
          .send(postal.pdf(campaign, req.query.status, now))
      );
    },
  );

  app.post(
    '/api/v1/campaigns/:id/letters/mark-mailed',
    {
      config,
      schema: {
        tags,
        security,
        operationId: 'markLettersMailed',
        params: IdParams,
        body: MarkMailedSchema,
        response: { 200: z.object({ marked: z.number().int() }), ...problems(404, 409, 422) },
      },
    },
    async (req) => ({ marked: postal.markMailed(campaigns.get(req.params.id), req.body) }),
  );
};
