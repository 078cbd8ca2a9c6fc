import { and, eq, lt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { idempotencyKeys } from '../db/schema.js';
import { sha256 } from '../domain/ids.js';
import { invalid } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { scope: string; key: string; requestHash: string };
  }
}

const keyPattern = /^[\x21-\x7e]{1,255}$/;
const retentionMs = 24 * 60 * 60 * 1000;

/**
 * `Idempotency-Key` on any POST: a retry with the same key and body replays the stored
 * response and runs nothing; the same key with another body is a 422. Keys are scoped to
 * the caller (API key, or client IP for public posts) and the path, and kept for 24 hours.
 */
export const idempotencyPlugin = fp(
  async (app: FastifyInstance) => {
    const { db } = app;

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
      const stored = db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)))
        .get();
      if (stored) {
        if (stored.requestHash !== requestHash) {
          throw invalid('This Idempotency-Key was already used with a different request body');
        }
        reply.header('idempotent-replayed', 'true');
        if (stored.contentType) reply.type(stored.contentType);
        return reply.code(stored.statusCode).serializer((p: unknown) => p as string).send(stored.responseBody);
      }
      request.idempotency = { scope, key, requestHash };
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const pending = request.idempotency;
      if (!pending || reply.statusCode >= 500 || typeof payload !== 'string') return payload;
      db.insert(idempotencyKeys)
        .values({
          ...pending,
          statusCode: reply.statusCode,
          responseBody: payload,
          contentType: String(reply.getHeader('content-type') ?? ''),
          createdAt: new Date().toISOString(),
        })
        .onConflictDoNothing()
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
