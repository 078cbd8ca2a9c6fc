import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../domain/keys.js';
import { DomainError } from '../../errors.js';
import { translate } from '../../render/page-engine.js';
import type { Scope } from '../../schemas/key.js';

export const sessionCookie = 'chorus_admin';

declare module 'fastify' {
  interface FastifyRequest {
    organizer?: Principal;
  }
}

type Form = Record<string, string | string[] | undefined>;
/** One field of a urlencoded body (the first, if the field came more than once). */
export const field = (body: unknown, name: string) => {
  const v = (body as Form | undefined)?.[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};
/** Every value of a field that may repeat (checkboxes). */
export const fields = (body: unknown, name: string): string[] => {
  const v = (body as Form | undefined)?.[name];
  return v === undefined ? [] : [v].flat();
};

/**
 * What every dashboard route shares: the session behind the cookie, the scope check (the same
 * scopes as the API, re-read from the key on every request) and the page shell with its CSRF token.
 */
export function createAdminContext(app: FastifyInstance) {
  const { adminSessions } = app.services;
  const locale = 'en';
  const say = (key: string, values?: Record<string, unknown>) => translate(app.pageStrings(locale), locale, key, values);

  const signedIn = async (req: FastifyRequest) => {
    const token = req.cookies[sessionCookie];
    return token ? adminSessions.principal(token) : undefined;
  };

  /** preHandler for everything behind the sign-in: no session sends a GET back to the sign-in form. */
  const organizer = (...needed: Scope[]) => async (req: FastifyRequest, reply: FastifyReply) => {
    const principal = await signedIn(req);
    if (!principal) {
      if (req.method === 'GET') return reply.redirect('/admin', 303);
      throw new DomainError(401, 'unauthorized', say('admin.signInAgain'));
    }
    const lacking = needed.find((scope) => !principal.scopes.includes(scope));
    if (lacking) throw new DomainError(403, 'forbidden', say('admin.forbidden', { scope: lacking }));
    req.organizer = principal;
  };

  const holds = (req: FastifyRequest, scope: Scope) => req.organizer?.scopes.includes(scope) ?? false;

  /** For what a form's content decides beyond the route's scope (a recipient's address needs letters too). */
  const requireScope = (req: FastifyRequest, scope: Scope) => {
    if (!holds(req, scope)) throw new DomainError(403, 'forbidden', say('admin.forbidden', { scope }));
  };

  const shell = (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown>) => ({
    admin: { signedIn: Boolean(req.organizer) },
    csrf: reply.generateCsrf(),
    noindex: true,
    ...extra,
  });

  return { locale, say, signedIn, organizer, holds, requireScope, shell };
}

export type AdminContext = ReturnType<typeof createAdminContext>;
