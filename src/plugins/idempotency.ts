import { and, eq, lt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { idempotencyKeys } from '../db/schema.js';
import { sha256 } from '../domain/ids.js';
import { conflict, invalid } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { scope: string; key: string };
  }
}

const keyPattern = /^[\x21-\x7e]{1,255}$/;
const retentionMs = 24 * 60 * 60 * 1000;
/** A reservation older than this belongs to a request that never finished (a crash): a retry may take it over. */
const abandonedMs = 60 * 1000;
/** status_code of a reservation whose request is still running. */
const inFlight = 0;

/**
 * `Idempotency-Key` on any POST: a retry with the same key and body replays the stored
 * response and runs nothing; the same key with another body is a 422. Keys are scoped to
 * the caller (API key, or client IP for public posts) and the path, and kept for 24 hours.
 *
 * The key is reserved before the handler runs, so two concurrent requests with one key can
 * never both run: the second gets a 409 until the first has answered. Responses that say
 * "try again" (429, 5xx) are not kept, so a retry really runs again.
 */
export const idempotencyPlugin = fp(
  async (app: FastifyInstance) => {
    const { db } = app;
    const byKey = (scope: string, key: string) => and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
    const release = (p: { scope: string; key: string }) => db.delete(idempotencyKeys).where(byKey(p.scope, p.key)).run();

    app.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'POST') return;
      const key = request.headers['idempotency-key'];
      if (key === undefined) return;
      if (typeof key !== 'string' || !keyPattern.test(key)) {
        throw invalid('Idempotency-Key must be 1 to 255 visible ASCII characters', [
          { path: 'headers.idempotency-key', message: 'invalid' },
        ]);
      }
      const scope = `${request.principal?.keyId ?? `ip:${request.ip}`} ${request.url}`;
      const requestHash = sha256(JSON.stringify(request.body ?? null));
      const now = Date.now();
      const reserve = () =>
        db
          .insert(idempotencyKeys)
          .values({ scope, key, requestHash, statusCode: inFlight, responseBody: '', createdAt: new Date(now).toISOString() })
          .onConflictDoNothing()
          .run().changes === 1;

      if (!reserve()) {
        const stored = db.select().from(idempotencyKeys).where(byKey(scope, key)).get();
        if (stored && stored.requestHash !== requestHash) {
          throw invalid('This Idempotency-Key was already used with a different request body', [
            { path: 'headers.idempotency-key', message: 'already used with a different body' },
          ]);
        }
        if (stored && stored.statusCode !== inFlight) {
          reply.header('idempotent-replayed', 'true');
          if (stored.contentType) reply.type(stored.contentType);
          return reply.code(stored.statusCode).serializer((p: unknown) => p as string).send(stored.responseBody);
        }
        const abandoned = stored && Date.parse(stored.createdAt) < now - abandonedMs;
        if (abandoned) release({ scope, key });
        if (!abandoned || !reserve()) throw conflict('A request with this Idempotency-Key is still being processed; retry shortly');
      }
      request.idempotency = { scope, key };
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const pending = request.idempotency;
      if (!pending) return payload;
      request.idempotency = undefined;
      if (reply.statusCode >= 500 || reply.statusCode === 429 || typeof payload !== 'string') {
        release(pending);
        return payload;
      }
      db.update(idempotencyKeys)
        .set({ statusCode: reply.statusCode, responseBody: payload, contentType: String(reply.getHeader('content-type') ?? '') })
        .where(byKey(pending.scope, pending.key))
        .run();
      return payload;
    });

    const sweep = () =>
      db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(Date.now() - retentionMs).toISOString())).run();
    const timer = setInterval(sweep, 60 * 60 * 1000).unref();
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'idempotency', dependencies: ['db', 'auth'] },
);
