import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recount } from '../src/domain/recount.js';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';

/** The confirmation link as it sits in the queued mail (wiped from the outbox once sent). */
async function confirmationToken(t: TestApp, email: string): Promise<string> {
  const rows = await t.app.store.sql.all<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'confirmation' ORDER BY id DESC");
  for (const r of rows) {
    const p = JSON.parse(r.payload) as { to: { address: string }; text: string };
    if (p.to.address === email) return /\/confirm\/([\w-]+)/.exec(p.text)![1]!;
  }
  throw new Error(`no confirmation mail to ${email}`);
}

describe('supporter flow (smoke)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  it('submits, confirms by the mailed link and counts once', async () => {
    const c = await createCampaign(t.app, { goal: 5000 });
    await createTarget(t.app, c.id);
    await createTarget(t.app, c.id, { name: 'Ambassador', email: 'ambassador@example.kz' });
    await createTemplate(t.app, c.id);
    const body = { name: 'Aigerim Seitkali', email: 'Aigerim@Example.org', country: 'KZ', city: 'Almaty', note: 'Please.' };
    const first = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${c.slug}/letters`, payload: body });
    assert.equal(first.statusCode, 202, first.body);
    assert.deepEqual(first.json(), { status: 'pending_confirmation' });
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${c.slug}/letters`, payload: { ...body, email: ' aigerim@example.org ' } });
    assert.equal(again.body, first.body);

    let count = (await t.app.inject({ url: `/api/v1/actions/${c.slug}/count` })).json();
    assert.equal(count.supporters, 0);
    const token = await confirmationToken(t, 'Aigerim@Example.org');
    const ok = await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` });
    assert.equal(ok.statusCode, 200, ok.body);
    const twice = await t.app.inject({ method: 'POST', url: `/api/v1/confirmations/${token}` });
    assert.equal(twice.statusCode, 200);
    count = (await t.app.inject({ url: `/api/v1/actions/${c.slug}/count` })).json();
    assert.equal(count.supporters, 1);
    assert.equal(count.letters, 2);
    const stats = (await t.app.inject({ url: `/api/v1/campaigns/${c.id}/stats`, headers: auth })).json();
    assert.equal(stats.letters.queued, 2);
    assert.equal(stats.supporters.pending, 0);
    assert.equal((await recount(t.app.store)).drift, 0);
  });
});
