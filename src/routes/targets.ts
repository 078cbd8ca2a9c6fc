import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireScope } from '../plugins/auth.js';
import { IdParams, problems } from '../schemas/common.js';
import { CreateTargetSchema, TargetParams, TargetSchema, UpdateTargetSchema } from '../schemas/target.js';

const tags = ['targets'];
const config = { scope: 'campaigns' as const };
/** These decide where supporters' letters (names, notes, Reply-To) go, queued ones included: changing them is the letters scope's too. */
const addressFields = ['email', 'postalAddress'] as const;

export const targetRoutes: FastifyPluginAsyncZod = async (app) => {
  const { targets } = app.services;

  app.post(
    '/api/v1/campaigns/:id/targets',
    { config, schema: { tags, operationId: 'createTarget', summary: 'Add a target to a campaign', params: IdParams, body: CreateTargetSchema, response: { 201: TargetSchema, ...problems(404, 422) } } },
    async (req, reply) => reply.code(201).send(await targets.create(req.params.id, req.body)),
  );

  app.get(
    '/api/v1/campaigns/:id/targets',
    { config, schema: { tags, operationId: 'listTargets', summary: 'List a campaign\'s targets', params: IdParams, response: { 200: z.object({ items: z.array(TargetSchema) }) } } },
    async (req) => ({ items: await targets.list(req.params.id) }),
  );

  app.get(
    '/api/v1/campaigns/:id/targets/:targetId',
    { config, schema: { tags, operationId: 'getTarget', summary: 'Get a target', params: TargetParams, response: { 200: TargetSchema, ...problems(404) } } },
    async (req) => targets.get(req.params.id, req.params.targetId),
  );

  app.patch(
    '/api/v1/campaigns/:id/targets/:targetId',
    { config, schema: { tags, operationId: 'updateTarget', summary: 'Update a target', params: TargetParams, body: UpdateTargetSchema, response: { 200: TargetSchema, ...problems(403, 404, 422) } } },
    async (req) => {
      if (addressFields.some((f) => f in req.body)) requireScope(req, 'letters');
      return targets.update(req.params.id, req.params.targetId, req.body);
    },
  );

  app.delete(
    '/api/v1/campaigns/:id/targets/:targetId',
    { config, schema: { tags, operationId: 'deleteTarget', summary: 'Remove a target', params: TargetParams, response: { 204: z.null(), ...problems(404) } } },
    async (req, reply) => {
      await targets.remove(req.params.id, req.params.targetId);
      return reply.code(204).send(null);
    },
  );
};
