import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { forbidden } from '../errors.js';
import { problems } from '../schemas/common.js';
import { CreateApiKeySchema, CreatedApiKeySchema, type Scope } from '../schemas/key.js';

const tags = ['keys'];
const config = { scope: 'keys' as const };

export const keyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { keys } = app.services;

  app.post(
    '/api/v1/keys',
    { config, schema: { tags, operationId: 'createApiKey', summary: 'Create a scoped API key (shown once)', body: CreateApiKeySchema, response: { 201: CreatedApiKeySchema, ...problems(401, 403, 422) }, openapi: { headers: { 201: ['Cache-Control'] } } } },
    async (req, reply) => {
      // A key can hand out only what it holds itself: minting is never a way to gain a scope.
      const lacking = req.body.scopes.find((s) => !req.principal?.scopes.includes(s));
      if (lacking) throw forbidden(lacking);
      return reply.code(201).header('cache-control', 'no-store').send(await keys.mint(req.body.name, req.body.scopes));
    },
  );

  app.delete(
    '/api/v1/keys/:id',
    { config, schema: { tags, operationId: 'revokeApiKey', summary: 'Revoke an API key', params: z.strictObject({ id: z.string().min(1).max(64) }), response: { 204: z.null(), ...problems(403, 404) } } },
    async (req, reply) => {
      // Nor is revoking a way to act beyond one's scopes: only keys holding nothing this key lacks.
      // (An unknown or already revoked key is the 404 revoke gives.)
      const victim = (await keys.list()).find((k) => k.id === req.params.id && k.revokedAt === null);
      const lacking = victim?.scopes.find((s) => !req.principal?.scopes.includes(s as Scope));
      if (lacking) throw forbidden(lacking);
      await keys.revoke(req.params.id);
      return reply.code(204).send(null);
    },
  );
};
