import type { FastifyInstance } from 'fastify';
import { createCampaign, createTarget, createTemplate } from './build-app.js';

/** A ready campaign: active, two email targets, one template. */
export async function readyCampaign(app: FastifyInstance, overrides: Record<string, unknown> = {}) {
  const campaign = await createCampaign(app, { goal: 5000, ...overrides });
  const prosecutor = await createTarget(app, campaign.id);
  const ambassador = await createTarget(app, campaign.id, {
    name: 'Ambassador of Kazakhstan',
    title: 'Ambassador',
    email: 'ambassador@example.kz',
    salutation: 'Your Excellency',
  });
  const template = await createTemplate(app, campaign.id);
  return { campaign, prosecutor, ambassador, template };
}

export const supporter = (n: number | string = 1) => ({
  name: `Supporter ${n}`,
  email: `supporter${n}@example.org`,
  country: 'KZ',
  city: 'Almaty',
});

export function submit(app: FastifyInstance, slug: string, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: `/api/v1/actions/${slug}/letters`, payload: payload as object, headers });
}

/** Confirmation tokens of queued confirmation mails, by recipient (read before the worker wipes the payload). */
export function confirmationTokens(app: FastifyInstance): Map<string, string> {
  const rows = app.db.$client
    .prepare("SELECT payload FROM outbox WHERE kind IN ('confirmation', 'reminder') AND payload IS NOT NULL ORDER BY id")
    .all() as { payload: string }[];
  const tokens = new Map<string, string>();
  for (const r of rows) {
    const p = JSON.parse(r.payload) as { to: { address: string }; text: string };
    tokens.set(p.to.address, /\/confirm\/([\w-]+)/.exec(p.text)![1]!);
  }
  return tokens;
}

export function tableCounts(app: FastifyInstance) {
  const n = (table: string) => (app.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { supporters: n('supporters'), letters: n('letters'), submissions: n('submissions'), outbox: n('outbox') };
}
