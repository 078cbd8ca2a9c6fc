import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { isIPv6 } from 'node:net';
import { loadSecret } from '../domain/secrets.js';
import { DomainError } from '../errors.js';
import { createPeriodicJob } from './jobs.js';
import { databaseRateLimitStore, type NamedLimit } from './rate-limit-store.js';

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
 * Every policy is named: the name is its bucket in the store shared by all instances on
 * PostgreSQL (see rate-limit-store.ts), so submissions, confirmations, sign-ins and previews
 * each count separately there as they do in memory.
 */
function policy(name: string, max: number): NamedLimit & { max: number; timeWindow: number; keyGenerator: typeof clientKey } {
  return { name, max, timeWindow: 60_000, keyGenerator: clientKey };
}

/**
 * Named policy for the dashboard's sign-in form: a person typing a key, limited like a
 * submission, in a bucket of its own.
 */
export function signInLimit(app: FastifyInstance) {
  return policy('sign-in', app.config.RATE_LIMIT_PER_MINUTE);
}

/**
 * Named policy for the action page's live letter preview: it follows the supporter's typing
 * (one request per pause), so it allows ten times the submission rate; it stores nothing.
 */
export function publicPreviewLimit(app: FastifyInstance) {
  return policy('preview', app.config.RATE_LIMIT_PER_MINUTE * 10);
}

const hour = 60 * 60_000;

/**
 * The limits' counts live in this process (@fastify/rate-limit's LocalStore) on SQLite, and in
 * the database on PostgreSQL, so that a limit holds across every instance sharing it. A single
 * SQLite instance has nothing to share, and counting there would add a write, and a disk flush,
 * to every limited request.
 */
export const rateLimitsPlugin = fp(
  async (app: FastifyInstance) => {
    const shared = app.store.sql.dialect === 'postgres';
    const { rateLimits } = app.store;
    await app.register(rateLimit, {
      global: false,
      keyGenerator: clientKey,
      // When the shared store cannot count (the database is down or refuses), the request fails
      // with a logged 503 rather than being let through: skipOnError would let every request pass
      // unlimited for as long as the failure lasts, silently, and a quiet fallback to counting in
      // memory would give each instance a limit of its own. Nearly every limited request needs
      // the database anyway (submissions and confirmations write to it, a sign-in reads keys from
      // it; only a preview might answer from cached templates), so refusing costs next to nothing
      // that would have worked. Said here, although it is the plugin's default, because it is chosen.
      skipOnError: false,
      ...(shared
        ? { store: databaseRateLimitStore({ hit: (key, now, windowMs) => rateLimits.hit(key, now, windowMs), secret: await loadSecret(app.store.settings, 'rate-limit-key') }) }
        : {}),
    });
    app.decorate('publicLimits', {
      submissions: app.rateLimit(policy('submissions', app.config.RATE_LIMIT_PER_MINUTE)),
      confirmations: app.rateLimit(policy('confirmations', app.config.RATE_LIMIT_PER_MINUTE)),
    });

    if (!shared) return;
    // An ended window is rewritten in place by its client's next hit; those of clients that never
    // came back are swept hourly, by one instance. Windows run on real time, as LocalStore's do.
    const sweep = createPeriodicJob({ store: app.store, clock: app.clock, log: app.log }, 'rate-limit-sweep', hour, () =>
      rateLimits.sweep(new Date().toISOString()),
    );
    const timer = setInterval(() => void sweep.run(), hour).unref();
    app.addHook('preClose', async () => {
      clearInterval(timer);
      await sweep.settled();
    });
  },
  { name: 'rate-limits', dependencies: ['services'] },
);
