import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParams, ListQuerySchema, pageOf, problems } from '../schemas/common.js';
import { CreatedWebhookSchema, CreateWebhookSchema, UpdatedWebhookSchema, UpdateWebhookSchema, WebhookDeliverySchema, WebhookSchema } from '../schemas/webhook.js';

const tags = ['webhooks'];
const config = { scope: 'webhooks' as const };

export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const { webhooks } = app.services;

  app.post(
    '/api/v1/webhooks',
    {
      config,
      schema: {
        tags,
        operationId: 'createWebhook',
        summary: 'Subscribe a URL to events (the signing secret is shown once)',
        body: CreateWebhookSchema,
        response: { 201: CreatedWebhookSchema, ...problems(401, 403, 404, 422) },
        openapi: { headers: { 201: ['Cache-Control'] } },
      },
    },
    async (req, reply) => reply.code(201).header('cache-control', 'no-store').send(await webhooks.create(req.body)),
  );

  app.get(
    '/api/v1/webhooks',
    {
      config,
      schema: { tags, operationId: 'listWebhooks', summary: 'List webhook endpoints, newest first', querystring: ListQuerySchema, response: { 200: pageOf(WebhookSchema), ...problems(401, 403) } },
    },
    async (req) => await webhooks.list(req.query.limit, req.query.cursor),
  );

  app.patch(
    '/api/v1/webhooks/:id',
    {
      config,
      schema: {
        tags,
        operationId: 'updateWebhook',
        summary: 'Enable a disabled webhook endpoint again (its deliveries younger than 3 days resume), or disable one',
        params: IdParams,
        body: UpdateWebhookSchema,
        response: { 200: UpdatedWebhookSchema, ...problems(401, 403, 404, 409, 422) },
      },
    },
    async (req) => await webhooks.setStatus(req.params.id, req.body.status),
  );

  app.delete(
    '/api/v1/webhooks/:id',
    {
      config,
      schema: { tags, operationId: 'deleteWebhook', summary: 'Delete a webhook endpoint and its delivery log', params: IdParams, response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404) } },
    },
    async (req, reply) => {
      await webhooks.remove(req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      config,
      schema: {
        tags,
        operationId: 'listWebhookDeliveries',
        summary: "A webhook endpoint's deliveries, latest first",
        params: IdParams,
        querystring: ListQuerySchema,
        response: { 200: pageOf(WebhookDeliverySchema), ...problems(401, 403, 404) },
      },
    },
    async (req) => await webhooks.deliveries(req.params.id, req.query.limit, req.query.cursor),
  );
};
