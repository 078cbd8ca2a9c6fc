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
export async function confirmationTokens(app: FastifyInstance): Promise<Map<string, string>> {
  const rows = await app.store.sql.all<{ payload: string }>(
    "SELECT payload FROM outbox WHERE kind IN ('confirmation', 'reminder') AND payload IS NOT NULL ORDER BY id",
  );
  const tokens = new Map<string, string>();
  for (const r of rows) {
    const p = JSON.parse(r.payload) as { to: { address: string }; text: string };
    tokens.set(p.to.address, /\/confirm\/([\w-]+)/.exec(p.text)![1]!);
  }
  return tokens;
}

export async function tableCounts(app: FastifyInstance) {
  const n = async (table: string) => (await app.store.sql.value<number>(`SELECT count(*) FROM ${table}`))!;
  return { supporters: await n('supporters'), letters: await n('letters'), submissions: await n('submissions'), outbox: await n('outbox') };
}
