import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import { keyedHash } from '../domain/secrets.js';
import type { Store } from '../store/index.js';
import { clientKey } from './rate-limits.js';

/**
 * Failed key authentications (a bearer key or a dashboard sign-in) a client may make in one
 * window; past them every key it presents is refused with 429 until the window ends, the right
 * one too, so guessing cannot go on. Keys are 256-bit secrets, but ADMIN_API_KEY may be as short
 * as 16 characters. Successful requests are not counted, so a busy organizer is never refused.
 */
export const authFailuresPerWindow = 20;
export const authFailureWindowMs = 60_000;

/**
 * A fixed window of failures per client (IPv4 address or IPv6 /64, as for rate limits), counted
 * in the shared rate-limit table, so a guesser spreading tries over several instances gets one
 * allowance, not one per instance. The client is stored only as a keyed hash, as rate limits are.
 */
export function createAuthThrottle(deps: { rateLimits: Store['rateLimits']; secret: Buffer; now: () => number }) {
  const bucket = (request: FastifyRequest) => `auth-failures:${keyedHash(deps.secret, clientKey(request))}`;

  /** Throws the 429 (with Retry-After) once the client has used up its failures. */
  async function refuseIfBlocked(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const now = deps.now();
    const w = await deps.rateLimits.peek(bucket(request), new Date(now));
    if (!w || w.hits < authFailuresPerWindow) return;
    reply.header('retry-after', Math.max(1, Math.ceil((Date.parse(w.resetsAt) - now) / 1000)));
    throw new DomainError(429, 'rate-limited', 'Too many failed authentications; try again after the time in Retry-After');
  }

  async function failed(request: FastifyRequest): Promise<void> {
    await deps.rateLimits.hit(bucket(request), new Date(deps.now()), authFailureWindowMs);
  }

  return { refuseIfBlocked, failed };
}

export type AuthThrottle = ReturnType<typeof createAuthThrottle>;
