import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { letterStatuses } from '../db/schema.js';
import { IdParams, nonEmptyLine, problems } from '../schemas/common.js';

const tags = ['letters'];
const config = { scope: 'letters' as const };

const PrintQuerySchema = z.strictObject({
  status: z.enum(letterStatuses).optional(),
  /** What to call the run (its PDF's title carries it); unnamed runs are numbered "Print run N". */
  name: nonEmptyLine(100).optional(),
});

const MarkMailedSchema = z
  .union([
    z.strictObject({ printRunId: z.string().min(1).max(64).describe('The X-Chorus-Print-Run header of the print run\'s PDF') }),
    z.strictObject({ ids: z.array(z.string().min(1).max(64)).min(1).max(1000) }),
  ])
  .meta({ id: 'MarkMailed' });

/** Postal mode: a print run as a PDF, and marking a printed run (or some letters) as mailed. */
export const postalRoutes: FastifyPluginAsyncZod = async (app) => {
  const { campaigns } = app.services;
  const { postal } = app.delivery;

  app.get(
    '/api/v1/campaigns/:id/letters.pdf',
    { config, schema: { tags, operationId: 'printLetters', summary: 'Print a postal campaign\'s letters as a PDF print run', params: IdParams, querystring: PrintQuerySchema, produces: ['application/pdf'], openapi: { problems: [409], headers: { 200: ['Content-Disposition', 'Cache-Control', 'X-Chorus-Print-Run', 'X-Chorus-Print-Run-Letters'] } } } },
    async (req, reply) => {
      const campaign = await campaigns.get(req.params.id);
      const run = await postal.createRun(campaign, req.query.status, req.query.name);
      return (
        reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${campaign.slug}-letters.pdf"`)
          .header('cache-control', 'no-store')
          // Pass this back as printRunId to mark exactly this PDF's letters mailed.
          .header('x-chorus-print-run', run.id)
          .header('x-chorus-print-run-letters', String(run.letters))
          .send(postal.pdf(campaign, run))
      );
    },
  );

  app.post(
    '/api/v1/campaigns/:id/letters/mark-mailed',
    {
      config,
      schema: {
        tags,
        operationId: 'markLettersMailed', summary: 'Mark printed letters as mailed',
        params: IdParams,
        body: MarkMailedSchema,
        response: { 200: z.object({ marked: z.number().int() }), ...problems(404, 409, 422) },
      },
    },
    async (req) => ({ marked: await postal.markMailed(await campaigns.get(req.params.id), req.body) }),
  );
};
