import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import { clientKey } from './rate-limits.js';

/**
 * Failed key authentications (a bearer key or a dashboard sign-in) a client may make in one
 * window; past them every key it presents is refused with 429 until the window ends, the right
 * one too, so guessing cannot go on. Keys are 256-bit secrets, but ADMIN_API_KEY may be as short
 * as 16 characters. Successful requests are not counted, so a busy organizer is never refused.
 */
export const authFailuresPerWindow = 20;
export const authFailureWindowMs = 60_000;
/** Clients tracked at once: past this the oldest window is forgotten, so a flood of addresses cannot grow memory without bound. */
export const authFailureClients = 10_000;

/** A fixed window of failures per client (IPv4 address or IPv6 /64, as for rate limits), in this process. */
export function createAuthThrottle(now: () => number) {
  const windows = new Map<string, { start: number; failures: number }>();

  function live(key: string) {
    const w = windows.get(key);
    if (w && now() - w.start < authFailureWindowMs) return w;
    if (w) windows.delete(key);
    return undefined;
  }

  /** Throws the 429 (with Retry-After) once the client has used up its failures. */
  function refuseIfBlocked(request: FastifyRequest, reply: FastifyReply): void {
    const w = live(clientKey(request));
    if (!w || w.failures < authFailuresPerWindow) return;
    reply.header('retry-after', Math.max(1, Math.ceil((w.start + authFailureWindowMs - now()) / 1000)));
    throw new DomainError(429, 'rate-limited', 'Too many failed authentications; try again after the time in Retry-After');
  }

  function failed(request: FastifyRequest): void {
    const key = clientKey(request);
    let w = live(key);
    if (!w) {
      if (windows.size >= authFailureClients) windows.delete(windows.keys().next().value!);
      w = { start: now(), failures: 0 };
      windows.set(key, w);
    }
    w.failures++;
  }

  return { refuseIfBlocked, failed };
}

export type AuthThrottle = ReturnType<typeof createAuthThrottle>;
