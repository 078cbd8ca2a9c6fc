import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParams, problems } from '../schemas/common.js';
import { CreateOfflineCountSchema, OfflineCountParams, OfflineCountSchema } from '../schemas/offline-count.js';

const tags = ['campaigns'];
const config = { scope: 'campaigns' as const };

export const offlineCountRoutes: FastifyPluginAsyncZod = async (app) => {
  const { offlineCounts } = app.services;

  app.post(
    '/api/v1/campaigns/:id/offline-counts',
    {
      config,
      schema: {
        tags,
        operationId: 'addOfflineCount',
        summary: 'Add supporters and letters counted outside Chorus',
        params: IdParams,
        body: CreateOfflineCountSchema,
        response: { 201: OfflineCountSchema, ...problems(401, 403, 404, 422) },
      },
    },
    async (req, reply) => reply.code(201).send(await offlineCounts.add(req.params.id, req.body)),
  );

  app.get(
    '/api/v1/campaigns/:id/offline-counts',
    {
      config,
      schema: {
        tags,
        operationId: 'listOfflineCounts',
        summary: "List a campaign's offline counts, newest first",
        params: IdParams,
        response: { 200: z.object({ items: z.array(OfflineCountSchema) }), ...problems(401, 403, 404) },
      },
    },
    async (req) => ({ items: await offlineCounts.list(req.params.id) }),
  );

  app.delete(
    '/api/v1/campaigns/:id/offline-counts/:entryId',
    {
      config,
      schema: {
        tags,
        operationId: 'deleteOfflineCount',
        summary: 'Delete an offline count (a correction)',
        params: OfflineCountParams,
        response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await offlineCounts.remove(req.params.id, req.params.entryId);
      return reply.code(204).send(null);
    },
  );
};
