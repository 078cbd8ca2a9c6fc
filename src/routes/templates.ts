import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParams, problems } from '../schemas/common.js';
import { CreateTemplateSchema, TemplateSchema, UpdateTemplateSchema } from '../schemas/template.js';

const tags = ['templates'];
const config = { scope: 'campaigns' as const };
const TemplateParams = z.strictObject({ id: z.string().min(1).max(64), templateId: z.string().min(1).max(64) });

export const templateRoutes: FastifyPluginAsyncZod = async (app) => {
  const { templates } = app.services;

  app.post(
    '/api/v1/campaigns/:id/templates',
    { config, schema: { tags, operationId: 'createTemplate', summary: 'Add a letter template to a campaign', params: IdParams, body: CreateTemplateSchema, response: { 201: TemplateSchema, ...problems(404, 422) } } },
    async (req, reply) => reply.code(201).send(await templates.create(req.params.id, req.body)),
  );

  app.get(
    '/api/v1/campaigns/:id/templates',
    { config, schema: { tags, operationId: 'listTemplates', summary: 'List a campaign\'s templates', params: IdParams, response: { 200: z.object({ items: z.array(TemplateSchema) }) } } },
    async (req) => ({ items: await templates.list(req.params.id) }),
  );

  app.get(
    '/api/v1/campaigns/:id/templates/:templateId',
    { config, schema: { tags, operationId: 'getTemplate', summary: 'Get a template', params: TemplateParams, response: { 200: TemplateSchema, ...problems(404) } } },
    async (req) => templates.get(req.params.id, req.params.templateId),
  );

  app.patch(
    '/api/v1/campaigns/:id/templates/:templateId',
    {
      config,
      schema: {
        tags, operationId: 'updateTemplate',
        summary: 'Edit a template: the next version (letters already written keep their text and version)',
        params: TemplateParams, body: UpdateTemplateSchema, response: { 200: TemplateSchema, ...problems(404, 409, 422) },
      },
    },
    async (req) => templates.update(req.params.id, req.params.templateId, req.body),
  );

  app.delete(
    '/api/v1/campaigns/:id/templates/:templateId',
    { config, schema: { tags, operationId: 'deleteTemplate', summary: 'Delete a template: it takes no new letter', params: TemplateParams, response: { 204: z.null(), ...problems(404) } } },
    async (req, reply) => {
      await templates.remove(req.params.id, req.params.templateId);
      return reply.code(204).send(null);
    },
  );
};
