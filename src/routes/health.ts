import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendProblem } from '../plugins/problems.js';

const Health = z.object({ status: z.literal('ok') });

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  // Liveness answers under load too: an orchestrator restarting a process that is only busy would make the overload worse.
  app.get('/healthz', { config: { shedding: false }, schema: { tags: ['health'], operationId: 'liveness', summary: 'Liveness: the process is up', response: { 200: Health } } }, async () => ({
    status: 'ok' as const,
  }));

  /** Ready when the database is open, migrated and takes a write. */
  app.get('/readyz', { schema: { tags: ['health'], operationId: 'readiness', summary: 'Readiness: the database is open, migrated and takes writes', response: { 200: Health } } }, async (_req, reply) => {
    try {
      if ((await app.store.ready()) !== 'ok') return sendProblem(reply, 503, 'database is not migrated');
      return { status: 'ok' as const };
    } catch {
      return sendProblem(reply, 503, 'database is not writable');
    }
  });
};
