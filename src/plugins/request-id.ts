import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A client's own X-Request-Id is kept when it is 1 to 128 visible ASCII characters: enough for
 * any tracing scheme's ids, and nothing that could split a header or a log line. Anything else
 * (too long, spaces, control or non-ASCII characters, the header sent twice) gets a fresh one.
 */
const clientRequestId = /^[\x21-\x7e]{1,128}$/;

/**
 * Fastify's genReqId: the id in every log line of the request, in its X-Request-Id response
 * header and in the `instance` of its problem documents. Fastify's own requestIdHeader would
 * take any value the client sent, so the header is read here instead. Fresh ids are random
 * UUIDs, unique across restarts and instances (Fastify's default counter starts over at each).
 */
export function genReqId(req: IncomingMessage): string {
  const sent = req.headers['x-request-id'];
  return typeof sent === 'string' && clientRequestId.test(sent) ? sent : randomUUID();
}

/** Every response carries its request's id, set before any hook can answer so that refusals carry it too. */
export const requestIdPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
  },
  { name: 'request-id' },
);
