import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { readyCampaign, supporter, tableCounts } from './helpers/supporters.js';

describe('the action form post with a JSON body', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => t.close());

  it('answers the form\'s 422 page, never a 500, for fields that are not text', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const before = await tableCounts(t.app);
    const hostile: Record<string, unknown>[] = [
      { name: 123 },
      { city: 42 },
      { note: { $gt: '' } },
      { email: [5], name: [null] },
      { targetIds: [1, 2] },
      { targetIds: prosecutor.id, templateId: false },
      { country: null },
      { consentUpdates: true },
      { website: 7 },
      { targetIds: [{ id: prosecutor.id }] },
    ];
    for (const fields of hostile) {
      const res = await t.app.inject({ method: 'POST', url: `/c/${campaign.slug}`, payload: { ...supporter('json'), targetIds: [prosecutor.id], ...fields } });
      assert.equal(res.statusCode, 422, `${JSON.stringify(fields)}: ${res.statusCode}`);
      assert.match(res.headers['content-type'] as string, /^text\/html/);
      assert.match(res.body, /class="error-summary"|aria-invalid="true"/);
    }
    for (const body of [[1, 2], 'just a string', 5, null]) {
      const res = await t.app.inject({ method: 'POST', url: `/c/${campaign.slug}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      assert.equal(res.statusCode, 422, `${JSON.stringify(body)}: ${res.statusCode}`);
    }
    assert.deepEqual(await tableCounts(t.app), before, 'nothing stored');
  });

  it('still takes a JSON body of strings as the form would', async () => {
    const { campaign, prosecutor } = await readyCampaign(t.app);
    const res = await t.app.inject({ method: 'POST', url: `/c/${campaign.slug}`, payload: { ...supporter('strings'), targetIds: [prosecutor.id] } });
    assert.equal(res.statusCode, 303, res.body.slice(0, 300));
  });
});
