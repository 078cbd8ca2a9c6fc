import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, createCampaign, createTarget, createTemplate, type TestApp } from './helpers/build-app.js';

describe('foundation smoke', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  it('creates a campaign, target and template and previews the exact letter', async () => {
    const c = await createCampaign(t.app);
    const target = await createTarget(t.app, c.id);
    await createTemplate(t.app, c.id);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${c.id}/preview`,
      headers: auth,
      payload: { targetId: target.id, supporter: { name: "Jane O'Brien", country: 'KZ', city: 'Almaty' } },
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.subject, 'Do not extradite Pastor Makset');
    assert.match(body.text, /^Dear Mr Daulbayev,/);
    assert.match(body.text, /Jane O'Brien\nAlmaty, Kazakhstan/);
  });
});
