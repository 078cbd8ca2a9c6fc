import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { keyedHash } from '../domain/secrets.js';
import type { Store } from '../store/index.js';

/** What a policy adds to @fastify/rate-limit's options: its bucket's name in the shared store. */
export interface NamedLimit {
  name: string;
}

type Hit = Store['rateLimits']['hit'];
type Result = { current: number; ttl: number };

/**
 * The limit could not be counted because the database did not answer. A 503 (the one error
 * handler logs it with the request id and says nothing more), so the client retries later. It
 * carries the database's error code, so a failure the handler knows as passing is answered as
 * every other such failure is.
 */
export class RateLimitUnavailableError extends Error {
  readonly statusCode = 503;
  readonly code: string | undefined;
  constructor(cause: unknown) {
    super('the rate limit could not be counted: the database did not answer', { cause });
    this.name = 'RateLimitUnavailableError';
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/**
 * A @fastify/rate-limit store over the `rate_limits` table, so a limit holds across every
 * instance on one PostgreSQL database: one upsert per request counts the hit and reads the
 * window. The plugin builds the root store from its global options and asks it for a child per
 * limit (each route's `config.rateLimit`, each `app.rateLimit(options)`); a child counts under
 * its policy's `name`, so each limit keeps a bucket of its own, as LocalStore's separate
 * children do. A policy without a name is refused at start: unnamed, two limits would share one.
 *
 * The client part of the key (an address or an IPv6 /64) is stored only as a hash keyed with an
 * installation secret, as idempotency scopes are: the table says how often, never who.
 *
 * `continueExceeding`, `exponentialBackoff` and `{ increment: false }` (a `read`) are not
 * supported; no Chorus limit uses them.
 */
export function databaseRateLimitStore(deps: { hit: Hit; secret: Buffer; now?: () => number }): FastifyRateLimitStoreCtor {
  const now = deps.now ?? Date.now;

  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    private readonly name: string | undefined;

    constructor(options: unknown) {
      this.name = (options as Partial<NamedLimit>).name;
    }

    incr(key: string, callback: (error: Error | null, result?: Result) => void, timeWindow: number): void {
      const name = this.name;
      if (name === undefined) return callback(new Error('rate limit without a name: give its policy a name'));
      const at = now();
      deps.hit(`${name}:${keyedHash(deps.secret, key)}`, new Date(at), timeWindow).then(
        ({ hits, resetsAt }) => callback(null, { current: hits, ttl: Math.max(0, Date.parse(resetsAt) - at) }),
        (err: unknown) => callback(new RateLimitUnavailableError(err)),
      );
    }

    child(routeOptions: object): FastifyRateLimitStore {
      const { name } = routeOptions as Partial<NamedLimit>;
      if (typeof name !== 'string' || name === '') {
        throw new Error('every rate limit needs a name (its bucket in the shared store): add `name` to its policy');
      }
      return new DatabaseRateLimitStore(routeOptions);
    }
  }

  return DatabaseRateLimitStore;
}
