import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../schemas/common.js';
import { CreateResponseSchema, ResponseParams, ResponseSchema } from '../schemas/response.js';
import { TargetParams } from '../schemas/target.js';

const tags = ['targets'];
const config = { scope: 'campaigns' as const };

export const responseRoutes: FastifyPluginAsyncZod = async (app) => {
  const { responses } = app.services;

  app.post(
    '/api/v1/campaigns/:id/targets/:targetId/responses',
    {
      config,
      schema: {
        tags,
        operationId: 'recordResponse',
        summary: "Record a target's response (a reply, a meeting, a statement)",
        params: TargetParams,
        body: CreateResponseSchema,
        response: { 201: ResponseSchema, ...problems(401, 403, 404, 422) },
      },
    },
    async (req, reply) => reply.code(201).send(await responses.record(req.params.id, req.params.targetId, req.body)),
  );

  app.get(
    '/api/v1/campaigns/:id/targets/:targetId/responses',
    {
      config,
      schema: {
        tags,
        operationId: 'listResponses',
        summary: "List a target's responses, latest first",
        params: TargetParams,
        response: { 200: z.object({ items: z.array(ResponseSchema) }), ...problems(401, 403, 404) },
      },
    },
    async (req) => ({ items: await responses.list(req.params.id, req.params.targetId) }),
  );

  app.delete(
    '/api/v1/campaigns/:id/targets/:targetId/responses/:responseId',
    {
      config,
      schema: {
        tags,
        operationId: 'deleteResponse',
        summary: 'Delete a recorded response',
        params: ResponseParams,
        response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await responses.remove(req.params.id, req.params.targetId, req.params.responseId);
      return reply.code(204).send(null);
    },
  );
};
