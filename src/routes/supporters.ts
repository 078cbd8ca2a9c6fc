import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../schemas/common.js';
import { EmailQuerySchema } from '../schemas/letter.js';
import { SupporterExportSchema } from '../schemas/supporter.js';

const tags = ['supporters'];
const config = { scope: 'supporters' as const };

export const supporterRoutes: FastifyPluginAsyncZod = async (app) => {
  const { supporters } = app.services;

  app.get(
    '/api/v1/supporters/export',
    { config, schema: { tags, operationId: 'exportSupporter', summary: 'Export everything stored about an email address', querystring: EmailQuerySchema, response: { 200: SupporterExportSchema, ...problems(422) }, openapi: { headers: { 200: ['Cache-Control'] } } } },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return supporters.exportData(req.query.email);
    },
  );

  app.delete(
    '/api/v1/supporters',
    { config, schema: { tags, operationId: 'eraseSupporter', summary: 'Erase a person\'s data everywhere (counts stay)', querystring: EmailQuerySchema, response: { 204: z.null(), ...problems(422) } } },
    async (req, reply) => {
      await supporters.erase(req.query.email);
      return reply.code(204).send(null);
    },
  );
};
