import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { isIPv6 } from 'node:net';
import { DomainError } from '../errors.js';

/**
 * One client per IPv4 address or per IPv6 /64 (a single host usually owns a whole /64, so
 * counting its addresses one by one would let it rotate past any limit). request.ip honours
 * TRUST_PROXY: X-Forwarded-For is believed only when configured.
 */
export function clientKey(request: FastifyRequest): string {
  // Typed as a string, but undefined once the socket is gone (Node gave up on a broken body):
  // such a request cannot be limited nor answered, so it ends here as a client error.
  if (request.ip === undefined) throw new DomainError(400, 'bad-request', 'The connection closed before the request could be read');
  const ip = request.ip.replace(/^::ffff:/, '');
  if (!isIPv6(ip)) return ip;
  const groups = expandIPv6(ip);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

/**
 * Public submissions (a supporter's letters, through the JSON API or the action form) and
 * confirmations (the API's or the confirm page's post): RATE_LIMIT_PER_MINUTE per client for
 * each, whichever door a request uses. Each is one onRequest hook with one bucket, put on every
 * route of its kind: per-route limits would hand a client the limit once per door, and
 * @fastify/rate-limit's `groupId` does not share a bucket between routes (fastify-rate-limit#463).
 * Organizer calls are never limited (API.md).
 */
declare module 'fastify' {
  interface FastifyInstance {
    publicLimits: { submissions: onRequestAsyncHookHandler; confirmations: onRequestAsyncHookHandler };
  }
}

/**
 * Named policy for the dashboard's sign-in form: a person typing a key, limited like a
 * submission, in a bucket of its own.
 */
export function signInLimit(app: FastifyInstance) {
  return { max: app.config.RATE_LIMIT_PER_MINUTE, timeWindow: 60_000, keyGenerator: clientKey };
}

/**
 * Named policy for the action page's live letter preview: it follows the supporter's typing
 * (one request per pause), so it allows ten times the submission rate; it stores nothing.
 */
export function publicPreviewLimit(app: FastifyInstance) {
  return { max: app.config.RATE_LIMIT_PER_MINUTE * 10, timeWindow: 60_000, keyGenerator: clientKey };
}

export const rateLimitsPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(rateLimit, { global: false, keyGenerator: clientKey });
    const perMinute = { max: app.config.RATE_LIMIT_PER_MINUTE, timeWindow: 60_000, keyGenerator: clientKey };
    app.decorate('publicLimits', { submissions: app.rateLimit(perMinute), confirmations: app.rateLimit(perMinute) });
  },
  { name: 'rate-limits', dependencies: ['services'] },
);
