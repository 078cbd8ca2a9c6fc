import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sha256 } from '../domain/ids.js';
import { conflict, invalid } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { scope: string; key: string; echoesPersonalData?: boolean };
  }
  interface FastifyContextConfig {
    /** Every response of this route echoes what a person typed: none is stored for replay (see echoesPersonalData). */
    echoesPersonalData?: boolean;
  }
}

/**
 * Marks this request's response as echoing what a person typed (name, address, note): it is
 * never stored for replay, so no stored response can outlive that person's erasure. Only
 * responses of requests that changed nothing (previews, a refused form shown again with its
 * input) are marked, so a retry with the same key simply runs again, with the same effect.
 */
export function echoesPersonalData(request: FastifyRequest): void {
  if (request.idempotency) request.idempotency.echoesPersonalData = true;
}

/** Caller and path, as the one value that is stored: a hash, so no token from a path and no client address is kept. */
const scopeOf = (caller: string, url: string) => sha256(`${caller} ${url}`);

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
 * The scope is stored only as a hash: the path of a confirmation or unsubscribe post is its
 * token, and a public caller is a full client address, neither of which may be kept.
 *
 * The key is reserved before the handler runs, so two concurrent requests with one key can
 * never both run: the second gets a 409 until the first has answered. Responses that say
 * "try again" (429, 5xx) are not kept, so a retry really runs again; nor are responses that
 * echo personal data (`echoesPersonalData`).
 */
export const idempotencyPlugin = fp(
  async (app: FastifyInstance) => {
    const repo = app.store.idempotency;
    const release = (p: { scope: string; key: string }) => repo.release(p.scope, p.key);

    app.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'POST') return;
      const key = request.headers['idempotency-key'];
      if (key === undefined) return;
      if (typeof key !== 'string' || !keyPattern.test(key)) {
        throw invalid('Idempotency-Key must be 1 to 255 visible ASCII characters', [
          { path: 'headers.idempotency-key', message: 'invalid' },
        ]);
      }
      const scope = scopeOf(request.principal?.keyId ?? `ip:${request.ip}`, request.url);
      const requestHash = sha256(JSON.stringify(request.body ?? null));
      const now = Date.now();
      const reserve = () => repo.reserve({ scope, key, requestHash, statusCode: inFlight, responseBody: '', createdAt: new Date(now).toISOString() });
      const abandoned = (stored: { createdAt: string }) => Date.parse(stored.createdAt) < now - abandonedMs;
      // Read again in one transaction: of several retries racing for an abandoned (or just released) key, one gets it.
      const takeOver = () =>
        app.store.transaction(async () => {
          const stored = await repo.get(scope, key);
          if (stored && !abandoned(stored)) return false;
          if (stored) await release({ scope, key });
          return reserve();
        });

      if (!(await reserve())) {
        const stored = await repo.get(scope, key);
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
        if (!(await takeOver())) throw conflict('A request with this Idempotency-Key is still being processed; retry shortly');
      }
      request.idempotency = { scope, key };
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const pending = request.idempotency;
      if (!pending) return payload;
      request.idempotency = undefined;
      const personal = pending.echoesPersonalData === true || request.routeOptions.config.echoesPersonalData === true;
      if (reply.statusCode >= 500 || reply.statusCode === 429 || typeof payload !== 'string' || personal) {
        await release(pending);
        return payload;
      }
      await repo.complete(pending.scope, pending.key, { statusCode: reply.statusCode, responseBody: payload, contentType: String(reply.getHeader('content-type') ?? '') });
      return payload;
    });

    const sweep = () =>
      void repo.sweep(new Date(Date.now() - retentionMs).toISOString()).catch((err: unknown) => app.log.error({ err }, 'idempotency sweep failed'));
    const timer = setInterval(sweep, 60 * 60 * 1000).unref();
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'idempotency', dependencies: ['db', 'auth'] },
);
