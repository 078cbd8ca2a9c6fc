import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../domain/keys.js';
import { forbidden, unauthorized } from '../errors.js';
import type { Scope } from '../schemas/key.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope an organizer route needs; routes without one are public. */
    scope?: Scope;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** For what a route's body decides beyond its declared scope: a 403 unless the key also holds `scope`. */
export function requireScope(request: FastifyRequest, scope: Scope): void {
  if (!request.principal?.scopes.includes(scope)) throw forbidden(scope);
}

/**
 * Organizer routes declare `config: { scope }`; this hook checks the bearer key before the
 * body is even read, so an unauthenticated caller learns nothing from validation errors.
 */
export const authPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      const scope = request.routeOptions.config.scope;
      if (!scope) return;
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S{16,512})$/i.exec(header);
      const principal = match ? app.services.keys.authenticate(match[1]!) : undefined;
      if (!principal) throw unauthorized();
      if (!principal.scopes.includes(scope)) throw forbidden(scope);
      request.principal = principal;
    });
  },
  { name: 'auth', dependencies: ['services'] },
);
