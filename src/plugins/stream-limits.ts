import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import { clientKey } from './rate-limits.js';

/**
 * Open event streams one client (IPv4 address or IPv6 /64) may hold at once (API.md). A page
 * with a few embedded counters needs a handful; each stream holds a socket and a listener for
 * as long as it stays open, so without a cap one address could hold thousands.
 */
export const maxStreamsPerClient = 20;
/** Retry-After of the 429: streams close when their pages do, so trying again soon may work. */
export const streamRetryAfterSeconds = 30;

/** Counts the open streams per client, in this process. */
export function createStreamSlots() {
  const open = new Map<string, number>();

  /** Takes a place for a stream about to open, or throws the 429; the function returned gives it back (once, however often called). */
  function take(request: FastifyRequest, reply: FastifyReply): () => void {
    const client = clientKey(request);
    const held = open.get(client) ?? 0;
    if (held >= maxStreamsPerClient) {
      reply.header('retry-after', streamRetryAfterSeconds);
      throw new DomainError(429, 'rate-limited', `At most ${maxStreamsPerClient} event streams may be open from one address; close one first`);
    }
    open.set(client, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    };
  }

  return { take };
}
