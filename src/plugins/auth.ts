import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../domain/keys.js';
import { forbidden, unauthorized } from '../errors.js';
import type { Scope } from '../schemas/key.js';
import { loadSecret } from '../domain/secrets.js';
import { createAuthThrottle, type AuthThrottle } from './auth-throttle.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope an organizer route needs; routes without one are public. */
    scope?: Scope;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Failed key authentications per client, shared by the bearer check and the dashboard's sign-in. */
    authThrottle: AuthThrottle;
  }
}

/** For what a route's body decides beyond its declared scope: a 403 unless the key also holds `scope`. */
export function requireScope(request: FastifyRequest, scope: Scope): void {
  if (!request.principal?.scopes.includes(scope)) throw forbidden(scope);
}

/** RFC 9110 wants every 401 to name the scheme that would work; here that is a bearer key (RFC 6750). */
const challenge = 'Bearer realm="chorus"';

/**
 * Organizer routes declare `config: { scope }`; this hook checks the bearer key before the
 * body is even read, so an unauthenticated caller learns nothing from validation errors.
 */
export const authPlugin = fp(
  async (app: FastifyInstance) => {
    const throttle = createAuthThrottle({
      rateLimits: app.store.rateLimits,
      secret: await loadSecret(app.store.settings, 'rate-limit-key'),
      now: () => app.clock.now().getTime(),
    });
    app.decorate('authThrottle', throttle);
    app.addHook('onRequest', async (request, reply) => {
      const scope = request.routeOptions.config.scope;
      if (!scope) return;
      const header = request.headers.authorization;
      // No key at all is no guess: only a presented key that fails is counted.
      if (header === undefined) throw unauthorized();
      await throttle.refuseIfBlocked(request, reply);
      const match = /^Bearer\s+(\S{16,512})$/i.exec(header);
      const principal = match ? await app.services.keys.authenticate(match[1]!) : undefined;
      if (!principal) {
        await throttle.failed(request);
        throw unauthorized();
      }
      if (!principal.scopes.includes(scope)) throw forbidden(scope);
      request.principal = principal;
    });
    // Every 401, whoever answers it (this hook, the dashboard's sign-in, the metrics endpoint), carries the challenge.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', challenge);
      done(null, payload);
    });
  },
  { name: 'auth', dependencies: ['services'] },
);
