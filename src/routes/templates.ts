import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParams, problems } from '../schemas/common.js';
import { CreateTemplateSchema, TemplateSchema } from '../schemas/template.js';

const tags = ['templates'];
const security = [{ bearer: [] }];
const config = { scope: 'campaigns' as const };
const TemplateParams = z.strictObject({ id: z.string().min(1).max(64), templateId: z.string().min(1).max(64) });

export const templateRoutes: FastifyPluginAsyncZod = async (app) => {
  const { templates } = app.services;

  app.post(
    '/api/v1/campaigns/:id/templates',
    { config, schema: { tags, security, operationId: 'createTemplate', params: IdParams, body: CreateTemplateSchema, response: { 201: TemplateSchema, ...problems(404, 422) } } },
    async (req, reply) => reply.code(201).send(templates.create(req.params.id, req.body)),
  );

  app.get(
    '/api/v1/campaigns/:id/templates',
    { config, schema: { tags, security, operationId: 'listTemplates', params: IdParams, response: { 200: z.object({ items: z.array(TemplateSchema) }) } } },
    async (req) => ({ items: templates.list(req.params.id) }),
  );

  app.get(
    '/api/v1/campaigns/:id/templates/:templateId',
    { config, schema: { tags, security, operationId: 'getTemplate', params: TemplateParams, response: { 200: TemplateSchema, ...problems(404) } } },
    async (req) => templates.get(req.params.id, req.params.templateId),
  );
};
