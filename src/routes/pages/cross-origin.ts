import type { FastifyRequest } from 'fastify';

/** A form post another site made the supporter's browser send; the pages show it as a 403 page. */
export class CrossOriginError extends Error {
  readonly statusCode = 403;
  readonly code = 'CROSS_ORIGIN';
  constructor() {
    super('Cross-origin form post refused');
  }
}

/**
 * Refuses cross-site form posts the way Go's net/http CrossOriginProtection does, with no token
 * or cookie: Sec-Fetch-Site (sent by every current browser) must say the post came from this
 * origin or from the user; failing that, Origin must name this host. A request with neither
 * header is not from a browser, so it carries no one's ambient credentials and passes.
 * `trustedOrigin` (PUBLIC_URL) also passes, for a site whose Host differs behind a proxy.
 */
export function crossOriginCheck(trustedOrigin: string) {
  return async function refuseCrossOrigin(req: FastifyRequest) {
    const origin = req.headers.origin;
    if (origin !== undefined && origin === trustedOrigin) return;
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined) {
      if (site === 'same-origin' || site === 'none') return;
      throw new CrossOriginError();
    }
    if (origin === undefined || hostOf(origin) === req.host.toLowerCase()) return;
    throw new CrossOriginError();
  };
}

const hostOf = (origin: string) => (URL.canParse(origin) ? new URL(origin).host : null);
