import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * GET /metrics for Prometheus, behind its own bearer token (METRICS_TOKEN, not an API key: a
 * scraper needs no scope of the API). Registered only when the token is set; otherwise the
 * path is a 404 like any unknown one. Failed tokens count against the client like failed keys.
 */
export const metricsRoutes: FastifyPluginAsync<{ token: string }> = async (app, opts) => {
  const expected = digest(opts.token);
  const refuse = () => new DomainError(401, 'unauthorized', 'Send the metrics token as Authorization: Bearer <METRICS_TOKEN>');

  async function authorize(request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization;
    if (header === undefined) throw refuse();
    await app.authThrottle.refuseIfBlocked(request, reply);
    // Digests of equal length, compared in constant time: the comparison says nothing about how much of a guess was right.
    const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    if (!timingSafeEqual(digest(presented), expected)) {
      await app.authThrottle.failed(request);
      throw refuse();
    }
  }

  // Scraped under load too: that is when the figures matter most.
  app.get('/metrics', { schema: { hide: true }, config: { shedding: false }, onRequest: authorize }, async (_request, reply) => {
    reply.type(app.metrics.contentType).header('cache-control', 'no-store');
    return app.metrics.metrics();
  });
};
