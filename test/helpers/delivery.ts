import type { FastifyInstance } from 'fastify';
import { createWorker, type WorkerOptions } from '../../src/delivery/worker.js';
import type { Clock } from '../../src/domain/clock.js';
import { auth, createCampaign, createTarget, createTemplate } from './build-app.js';
import { submit, supporter } from './supporters.js';

/** A clock tests move by hand: retries, throttles and digests without sleeping. */
export function manualClock(start = '2026-03-02T09:00:00.000Z'): Clock & { advance(ms: number): void; set(iso: string): void } {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms) {
      t += ms;
    },
    set(iso) {
      t = Date.parse(iso);
    },
  };
}

export const minute = 60_000;
export const hour = 60 * minute;

/**
 * A campaign needing no confirmation, one target, and `n` letters already queued for it.
 * Needs RATE_LIMIT_PER_MINUTE above n in the app's env.
 */
export async function queuedLetters(
  app: FastifyInstance,
  n: number,
  opts: { campaign?: Record<string, unknown>; target?: Record<string, unknown>; supporter?: (i: number) => Record<string, unknown> } = {},
) {
  const campaign = await createCampaign(app, { confirmation: 'none', ...opts.campaign });
  const target = await createTarget(app, campaign.id, opts.target);
  await createTemplate(app, campaign.id);
  for (let i = 1; i <= n; i++) {
    const res = await submit(app, campaign.slug, { ...supporter(i), ...opts.supporter?.(i) });
    if (res.statusCode !== 202) throw new Error(`submit ${i}: ${res.statusCode} ${res.body}`);
  }
  return { campaign, target };
}

export async function letterList(app: FastifyInstance, campaignId: string) {
  const res = await app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/letters?limit=500`, headers: auth });
  return res.json().items as { id: string; status: string; attempts: number; lastError: string | null; sentAt: string | null }[];
}

export async function stats(app: FastifyInstance, campaignId: string) {
  const res = await app.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/stats`, headers: auth });
  return res.json() as { letters: Record<string, number>; byTarget: { lastError: string | null }[] };
}

/** A second worker on the app's database with its own mailer, for tests that watch or break the transport. */
export function testWorker(app: FastifyInstance, clock: Clock, opts: Pick<WorkerOptions, 'mailer'> & Partial<WorkerOptions>) {
  return createWorker({
    store: app.store,
    clock,
    lifecycle: app.services.lifecycle,
    mailFrom: 'Chorus <letters@example.org>',
    retryBaseMs: 1000,
    maxAgeMs: 100 * hour,
    ...opts,
  });
}
