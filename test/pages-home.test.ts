import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, createCampaign, type TestApp } from './helpers/build-app.js';
import { manualClock } from './helpers/delivery.js';

describe('the home page', () => {
  let t: TestApp;
  const clock = manualClock('2026-10-12T09:00:00.000Z');
  before(async () => {
    t = await buildTestApp({}, { clock });
  });
  after(() => t.close());

  it('lists the campaigns taking letters now, as a page, and none that are drafts, paused or past their closing date', async () => {
    const empty = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(empty.statusCode, 200);
    assert.match(empty.headers['content-type'] as string, /^text\/html/);
    assert.match(empty.body, /No campaign is taking letters at the moment/);

    const open = await createCampaign(t.app, { title: 'Stop the extradition of Pastor Makset', status: 'active' });
    await createCampaign(t.app, { title: 'A draft nobody may see', status: 'draft' });
    const paused = await createCampaign(t.app, { title: 'Paused for now', status: 'active' });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/campaigns/${paused.id}`, headers: { authorization: 'Bearer test-admin-key-0123456789abcdef' }, payload: { status: 'paused' } });
    await createCampaign(t.app, { title: 'Closed by its date', status: 'active', closesAt: '2026-10-01T00:00:00Z' });

    const page = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`<a href="/c/${open.slug}"><strong>Stop the extradition of Pastor Makset</strong></a>`));
    for (const hidden of ['A draft nobody may see', 'Paused for now', 'Closed by its date']) assert.doesNotMatch(page.body, new RegExp(hidden));
  });
});
