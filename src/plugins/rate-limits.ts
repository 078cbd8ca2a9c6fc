import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isIPv6 } from 'node:net';

/**
 * One client per IPv4 address or per IPv6 /64 (a single host usually owns a whole /64, so
 * counting its addresses one by one would let it rotate past any limit). request.ip honours
 * TRUST_PROXY: X-Forwarded-For is believed only when configured.
 */
export function clientKey(request: FastifyRequest): string {
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
 * Named policy for public submissions (API POST letters, confirmations and the action form):
 * RATE_LIMIT_PER_MINUTE per client. Organizer calls are never limited (API.md).
 */
export function publicSubmissionLimit(app: FastifyInstance) {
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
  },
  { name: 'rate-limits', dependencies: ['services'] },
);
